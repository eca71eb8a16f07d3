package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine starts on its own thread while the application starts, and a governed call made before it is ready waits
 * for it. The start is held up for real: the policy file is a named pipe that gives nothing until the application
 * writes it, so no timing decides these tests.
 */
class DeferredStartIT {

    private static final String SLOW_APP = "example.app.SlowStartApp";

    @TempDir
    Path dir;

    private Path workDirWithPipedPolicy(String extraConfig) throws Exception {
        InterceptionIT.workDir(dir, extraConfig);
        Path fifo = dir.resolve("policy-pipe.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        Files.writeString(dir.resolve("magistrate.yaml"), Files.readString(dir.resolve("magistrate.yaml")).replace("policy: policy.yaml", "policy: policy-pipe.yaml"));
        return fifo;
    }

    @Test
    void theFirstGovernedCallWaitsForTheEngineAndIsThenGoverned() throws Exception {
        Path fifo = workDirWithPipedPolicy("");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), SLOW_APP,
                "release", fifo.toString(), dir.resolve("policy.yaml").toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("WAITING seen"), r::toString);
        assertEquals("OK healthy web", r.outcome("first-call"), r::toString);
        // The engine started with the policy written into the pipe (InterceptionIT's, 13 rules).
        assertTrue(r.err().contains("policy " + fifo + " (13 rules, sha256 "), r::toString);
        // Governed, not waved through: the call is in the audit trail, which the CLI verifies.
        Process export = new ProcessBuilder(AgentRun.java(), "-jar", AgentRun.JAR.toString(), "audit", "export", dir.resolve("audit").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String exported = new String(export.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, export.waitFor(), exported);
        assertTrue(exported.contains("health_check"), exported);
    }

    @Test
    void aCallThatWaitsLongerThanTheStartTimeoutIsDeniedNeverRun() throws Exception {
        workDirWithPipedPolicy("start:\n  timeout: 1\n"); // nobody writes the pipe: the engine never starts
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), SLOW_APP, "never");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(InterceptionIT.DENIED.substring(0, InterceptionIT.DENIED.length() - "DENIED: ".length())
                + "DENIED: Magistrate is still starting after 1000 ms (magistrate.start.timeout), so no governed call may run.", r.outcome("first-call"), r::toString);
    }
}
