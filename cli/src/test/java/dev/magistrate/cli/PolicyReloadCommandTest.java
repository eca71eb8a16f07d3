package dev.magistrate.cli;

import dev.magistrate.approval.ApproverToken;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 13, {@code policy reload}: run in process against a real approval console in front of a real engine. */
class PolicyReloadCommandTest {

    record Run(int status, String out, String err) {
    }

    @TempDir
    Path dir;
    Magistrate magistrate;
    Path policy;
    Path consoleFile;

    @BeforeEach
    void start() throws Exception {
        String riya = ApproverToken.mint(), bob = ApproverToken.mint();
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - {id: riya, roles: [policy_admin], token_sha256: %s}
                  - {id: bob, roles: [devops], token_sha256: %s}
                """.formatted(ApproverToken.sha256Hex(riya), ApproverToken.sha256Hex(bob)));
        Files.writeString(dir.resolve("riya.token"), riya + "\n");
        Files.writeString(dir.resolve("bob.token"), bob + "\n");
        policy = dir.resolve("policy.yaml");
        Files.writeString(policy, PolicyReplayTest.LIVE);
        consoleFile = dir.resolve("run/console.json");
        magistrate = Magistrate.open(MagistrateSettings.builder().policy(policy)
                .approvals("console", Map.of("file", consoleFile.toString(), "port", "0"))
                .approvers(dir.resolve("approvers.yaml")).auditDirectory(dir.resolve("audit")).keysDirectory(dir.resolve("keys"))
                .agentId("ops-agent").build());
        ApprovalsCommand.environment = Map.<String, String>of()::get;
    }

    @AfterEach
    void stop() {
        ApprovalsCommand.environment = System::getenv;
        magistrate.close();
    }

    static Run run(String... args) {
        List<String> argv = new ArrayList<>(List.of("policy", "reload"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private List<AuditPayload> policyEntries() {
        List<AuditPayload> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(dir.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) {
                if (d.event().type() == AuditEventType.POLICY_LOADED || d.event().type() == AuditEventType.POLICY_REJECTED) out.add(d.payload());
            }
        }
        return out;
    }

    @Test
    void aPolicyAdminReloadsAndTheAuditNamesThemAndTheCli() throws Exception {
        String v1 = magistrate.governor().policy().version();
        Files.writeString(policy, PolicyReplayTest.CANDIDATE);
        Run r = run("--console", consoleFile.toString(), "--personal-token-file", dir.resolve("riya.token").toString());
        assertEquals(0, r.status(), r.out() + r.err());
        String v2 = magistrate.governor().policy().version();
        assertEquals("policy reloaded: " + v1.substring(0, 12) + " -> " + v2.substring(0, 12) + " (5 rules)\n", r.out());
        AuditPayload.PolicyLoaded loaded = (AuditPayload.PolicyLoaded) policyEntries().get(0);
        assertEquals("cli: riya", loaded.trigger());

        Run again = run("--console", consoleFile.toString(), "--personal-token-file", dir.resolve("riya.token").toString());
        assertEquals(0, again.status());
        assertEquals("policy reloaded: unchanged, " + v2.substring(0, 12) + " (5 rules)\n", again.out());
    }

    @Test
    void aPolicyThatDoesNotLoadIsRefusedWithItsLocationAndExitsOne() throws Exception {
        String v1 = magistrate.governor().policy().version();
        Files.writeString(policy, PolicyReplayTest.LIVE.replace("risk_tier: T1", "risk_tier: T9"));
        Run r = run("--console", consoleFile.toString(), "--personal-token-file", dir.resolve("riya.token").toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().startsWith("policy not reloaded; policy " + v1.substring(0, 12) + " keeps deciding:\n"), r.err());
        assertTrue(r.err().matches("(?s).*policy\\.yaml:7:\\d+: .*T9.*"), r.err());
        assertEquals(v1, magistrate.governor().policy().version());
        assertEquals("cli: riya", ((AuditPayload.PolicyRejected) policyEntries().get(0)).trigger());
    }

    @Test
    void withoutTheRoleOrWithATokenOnTheCommandLineNothingIsReloaded() throws Exception {
        String v1 = magistrate.governor().policy().version();
        Files.writeString(policy, PolicyReplayTest.CANDIDATE);
        Run bob = run("--console", consoleFile.toString(), "--personal-token-file", dir.resolve("bob.token").toString());
        assertEquals(1, bob.status());
        assertTrue(bob.err().contains("bob does not hold the role 'policy_admin'"), bob.err());
        Run inArgs = run("--console", consoleFile.toString(), "--token", "abc");
        assertEquals(2, inArgs.status());
        assertTrue(inArgs.err().contains("never taken from the command line"), inArgs.err());
        assertEquals(2, run("--console", consoleFile.toString()).status(), "no personal token at all");
        assertEquals(3, run("--url", "http://127.0.0.1:1", "--personal-token-file", dir.resolve("riya.token").toString()).status());
        assertEquals(v1, magistrate.governor().policy().version());
        assertTrue(policyEntries().isEmpty());
    }
}
