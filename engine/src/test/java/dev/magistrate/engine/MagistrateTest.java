package dev.magistrate.engine;

import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.policy.PolicyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one assembly: opens keys, audit log, ledger, backend and governor, admits calls, and closes in reverse order. */
class MagistrateTest {

    @TempDir
    Path tmp;

    private MagistrateSettings.Builder settings(String policy) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, policy);
        return MagistrateSettings.builder().policy(file).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys")).agentId("ops-agent");
    }

    private List<AuditEventType> auditTypes() {
        List<AuditEventType> types = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) types.add(d.event().type());
        }
        return types;
    }

    @Test
    void admitRunsAT0CallOnItsWriteAheadDecisionAndDeniesTheRest() throws Exception {
        try (Magistrate m = Magistrate.open(settings("""
                policies:
                  - name: reads
                    condition: "action == 'health_check'"
                    risk_tier: T0
                  - name: no drops
                    condition: "action == 'db' and sql matches '(?i)drop'"
                    effect: deny
                    reason: "never"
                """).build())) {
            Execution run = m.admit(m.intent("health_check").arg("service", "web").build());
            assertNull(run.warrant(), "a T0 call granted in the process needs no warrant: its CALL_GRANTED entry authorises it");
            run.completed("healthy");
            assertThrows(IllegalStateException.class, () -> run.completed("again"), "the grant runs one call, once");
            DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(m.intent("db").arg("sql", "DROP TABLE x").build()));
            assertTrue(denied.getMessage().contains("'no drops'"), denied.getMessage());
            DeniedException noOne = assertThrows(DeniedException.class, () -> m.admit(m.intent("deploy").build()));
            assertTrue(noOne.getMessage().contains("no approval backend is configured"), noOne.getMessage());
            assertTrue(m.describe().matches("policy .*policy.yaml \\(2 rules, sha256 [0-9a-f]{12}\\); approvals NONE .*; audit .*audit \\(mapped\\); keys .*keys"),
                    m.describe());
        }
        List<AuditEventType> types = auditTypes();
        assertEquals(List.of(AuditEventType.CALL_GRANTED, AuditEventType.EXECUTION_COMPLETED), types.subList(0, 2));
        assertEquals(AuditEventType.INTENT_DENIED, types.get(types.size() - 1));
    }

    @Test
    void closingReleasesEverythingSoTheSameDirectoriesOpenAgain() throws Exception {
        MagistrateSettings s = settings("policies: []\n").build();
        Magistrate first = Magistrate.open(s);
        assertThrows(IllegalStateException.class, () -> Magistrate.open(s), "one writer per audit directory");
        first.close();
        first.close(); // idempotent
        try (Magistrate again = Magistrate.open(s)) {
            assertEquals("none", again.approvalBackend().name());
        }
    }

    @Test
    void aPolicyThatDoesNotLoadFailsWithItsLocationAndLeavesNothingOpen() throws Exception {
        MagistrateSettings s = settings("policies:\n  - name: broken\n    condition: \"action ==\"\n").build();
        PolicyException e = assertThrows(PolicyException.class, () -> Magistrate.open(s));
        assertTrue(e.getMessage().contains("policy.yaml:3:"), e.getMessage());
        // What the agent does then: an engine that denies every call and audits each denial.
        try (Magistrate denying = Magistrate.openDenyingAll(s, "the policy could not be loaded")) {
            DeniedException d = assertThrows(DeniedException.class, () -> denying.admit(denying.intent("health_check").build()));
            assertTrue(d.getMessage().contains("the policy could not be loaded"), d.getMessage());
        }
        assertEquals(AuditEventType.INTENT_DENIED, auditTypes().get(auditTypes().size() - 1));
    }

    @Test
    void anUnusableBackendClosesWhatWasOpenedBeforeIt() throws Exception {
        MagistrateSettings s = settings("policies: []\n").approvals("no-such-backend").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Magistrate.open(s));
        assertTrue(e.getMessage().contains("no approval backend named 'no-such-backend'"), e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Magistrate.open(settings("policies: []\n").approvals("programmatic", java.util.Map.of("port", "8080")).build()));
        assertEquals("the programmatic backend takes no settings, not 'port'", unknown.getMessage());
        // The audit log's lock was released: the directory opens again.
        ChronicleAuditLog.open(dev.magistrate.audit.AuditLogOptions.defaults(tmp.resolve("audit"), Magistrate.AUDIT_ORIGIN,
                dev.magistrate.keys.KeyDirectory.open(tmp.resolve("keys")).logKeys())).close();
    }
}
