package dev.magistrate.engine;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.AuditReport;
import dev.magistrate.audit.AuditTimeline;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A T0 call admitted in the process runs on its write-ahead DECISION entry: no warrant is signed, verified or spent, the
 * trail is submitted, decided, started, completed, and every reader of the trail tells the same story as with a warrant.
 * A caller that asks for the warrant itself ({@code authorize}) still gets a signed one, usable once.
 */
class T0GrantTest {

    @TempDir
    Path tmp;

    private Magistrate open() throws Exception {
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, """
                policies:
                  - name: reads
                    condition: "action == 'health_check'"
                    risk_tier: T0
                """);
        return Magistrate.open(MagistrateSettings.builder().policy(policy).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).agentId("ops-agent").build());
    }

    private List<AuditEvent> entries() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    private void assertLogVerifies() {
        VerificationResult r = new AuditLogVerifier(KeyDirectory.open(tmp.resolve("keys")).logKeys().verifier()).verify(tmp.resolve("audit"));
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
    }

    @Test
    void aT0CallRunsOnItsDecisionWithNothingSignedOrSpent() throws Exception {
        String intentId;
        try (Magistrate m = open()) {
            Intent intent = m.intent("health_check").arg("service", "web").build();
            intentId = intent.id();
            Execution run = m.admit(intent);
            assertNull(run.warrant());
            assertEquals(intentId, run.intentId());
            assertEquals(Map.of("service", "web"), run.args());
            run.completed("healthy");
        }
        List<AuditEvent> events = entries();
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.EXECUTION_STARTED,
                AuditEventType.EXECUTION_COMPLETED), events.stream().map(AuditEvent::type).toList());
        events.forEach(e -> assertEquals(intentId, e.intentId()));
        assertEquals("allow", events.get(1).fields().get("effect"), "the DECISION entry, written before the body ran, is the grant");
        assertEquals("T0", events.get(1).fields().get("tier"));
        assertTrue(events.get(2).fields().containsKey("warrant_id"));
        assertNull(events.get(2).fields().get("warrant_id"), "no warrant: the field does not apply");
        assertEquals(0, Files.size(tmp.resolve("audit").resolve(Magistrate.LEDGER_FILE)), "nothing was spent in the ledger");
        assertLogVerifies();

        AuditTimeline.Row row = AuditTimeline.of(events).get(0);
        assertEquals("ran", row.outcome());
        assertNotNull(row.waited(), "decided at its DECISION entry");
        assertNull(row.warrantId());
        AuditReport report = AuditReport.of(events);
        assertEquals(Map.of("completed", 1L), report.intentsByOutcome());
    }

    @Test
    void aT0CallDecidedButNotYetFinishedReadsAsGrantedAndStarted() throws Exception {
        try (Magistrate m = open()) {
            m.admit(m.intent("health_check").build()); // the process "stops" before the outcome is recorded
        }
        List<AuditEvent> events = entries();
        assertEquals("started, no outcome recorded", AuditTimeline.of(events).get(0).outcome());
        assertEquals(Map.of("approved", 1L), AuditReport.of(events).intentsByOutcome());
    }

    @Test
    void authorizeAtT0StillIssuesASignedWarrantThatRunsOnce() throws Exception {
        try (Magistrate m = open()) {
            Intent intent = m.intent("health_check").arg("service", "web").build();
            Warrant w = m.governor().authorize(intent);
            assertEquals(SignatureAlgorithm.HMAC_SHA256, w.algorithm());
            Execution run = m.governor().verify(w, "health_check", Map.of("service", "web"));
            assertEquals(w, run.warrant());
            run.completed("healthy");
            DeniedException replay = assertThrows(DeniedException.class, () -> m.governor().verify(w, "health_check", Map.of("service", "web")));
            assertEquals("verification", replay.stage().wireName());
        }
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.WARRANT_ISSUED,
                AuditEventType.WARRANT_VERIFIED, AuditEventType.EXECUTION_STARTED, AuditEventType.EXECUTION_COMPLETED,
                AuditEventType.WARRANT_REJECTED), entries().stream().map(AuditEvent::type).toList());
        assertTrue(Files.readString(tmp.resolve("audit").resolve(Magistrate.LEDGER_FILE)).startsWith(
                entries().get(2).fields().get("warrant_id") + "\t"), "the warrant was spent in the ledger");
        assertLogVerifies();
    }
}
