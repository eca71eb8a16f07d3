package dev.magistrate.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The command line names the option at fault. */
class ServerOptionsTest {

    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> ServerOptions.parse(List.of(args))).getMessage();
    }

    @Test
    void eachProblemNamesItsOption() {
        assertEquals("--policy: required", error("--approvers", "a.yaml", "--keys", "k", "--data-dir", "d"));
        assertEquals("--db / --data-dir: give exactly one (a PostgreSQL URL, or a directory for the embedded one)",
                error("--policy", "p", "--approvers", "a", "--keys", "k"));
        assertEquals("--db / --data-dir: give exactly one (a PostgreSQL URL, or a directory for the embedded one)",
                error("--policy", "p", "--approvers", "a", "--keys", "k", "--db", "jdbc:postgresql://x/y", "--data-dir", "d"));
        assertEquals("--port: must be 0 to 65535, got 70000", error("--policy", "p", "--approvers", "a", "--keys", "k", "--data-dir", "d", "--port", "70000"));
        assertEquals("--colour: unknown option", error("--colour", "red"));
        assertEquals("--keys: a value is missing", error("--policy", "p", "--keys"));
        assertEquals("unknown command 'start' (serve, enroll-agent)", error("start"));
        assertEquals("enroll-agent: the agent id is missing", error("enroll-agent", "--data-dir", "d"));
        assertEquals("--origin: scheme, host and optional port, such as https://approvals.example.com; got 'approvals.example.com/'",
                error("--policy", "p", "--approvers", "a", "--keys", "k", "--data-dir", "d", "--origin", "approvals.example.com/"));
    }

    @Test
    void theConsolesPublicOriginIsOptional() {
        assertEquals(List.of(), ServerOptions.parse(List.of("--policy", "p", "--approvers", "a", "--keys", "k", "--data-dir", "d")).origins());
        assertEquals(List.of("https://approvals.example.com"), ServerOptions.parse(List.of("--policy", "p", "--approvers", "a", "--keys", "k",
                "--data-dir", "d", "--origin", "https://approvals.example.com")).origins());
    }

    @Test
    void enrollingNeedsOnlyTheDatabase() {
        ServerOptions o = ServerOptions.parse(List.of("enroll-agent", "ops-1", "--data-dir", "d"));
        assertEquals("ops-1", o.agentToEnroll());
        assertEquals(java.nio.file.Path.of("log.vkey"), ServerOptions.parse(List.of("enroll-agent", "ops-1", "--data-dir", "d", "--log-key", "log.vkey")).logKey());
        assertEquals("--log-key: only with enroll-agent", error("--policy", "p", "--approvers", "a", "--keys", "k", "--data-dir", "d", "--log-key", "x"));
        assertEquals("--db: must be a jdbc:postgresql:// URL, got 'mysql://x'",
                assertThrows(IllegalArgumentException.class, () -> FleetDatabase.connect("mysql://x", null, null)).getMessage());
    }
}
