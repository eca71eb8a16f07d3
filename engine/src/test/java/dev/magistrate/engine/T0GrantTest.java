package dev.magistrate.engine;

import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.ChronicleAuditLog;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A T0 call admitted in the process runs on one write-ahead CALL_GRANTED entry (submitted, decided, started): no warrant is
 * signed, verified or spent, the trail is that entry and the outcome, and every reader of the trail tells the same story as
 * with the separate entries of other calls (and of trails written before the entry existed).
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
    void aT0CallIsOneEntryWrittenAheadOfItsBodyAndItsOutcomeWithNothingSignedOrSpent() throws Exception {
        Intent intent;
        String policyVersion;
        try (Magistrate m = open()) {
            intent = m.intent("health_check").arg("service", "web").justification("is web up?").parentIntentId("runbook-1").build();
            policyVersion = m.governor().policy().version();
            Execution run = m.admit(intent);
            assertNull(run.warrant());
            assertEquals(intent.id(), run.intentId());
            assertEquals(Map.of("service", "web"), run.args());
            assertEquals(List.of(AuditEventType.CALL_GRANTED), entries().stream().map(AuditEvent::type).toList(),
                    "durable before the body runs, and the only entry until its outcome");
            run.completed("healthy");
        }
        List<AuditEvent> events = entries();
        assertEquals(List.of(AuditEventType.CALL_GRANTED, AuditEventType.EXECUTION_COMPLETED), events.stream().map(AuditEvent::type).toList());
        events.forEach(e -> assertEquals(intent.id(), e.intentId()));
        AuditPayload.CallGranted granted = (AuditPayload.CallGranted) events.get(0).payload();
        // Every field INTENT_SUBMITTED and DECISION held for this call is in the one entry.
        assertEquals(new AuditPayload.IntentSubmitted("health_check", null, "ops-agent", "is web up?", null, null, null,
                "{\"service\":\"web\"}", intent.argsDigest(), "runbook-1"), granted.submitted());
        AuditPayload.Decision decided = granted.decision();
        assertEquals(List.of("health_check", "T0", "allow", List.of("reads"), policyVersion, List.of(), false, List.of()),
                List.of(decided.action(), decided.tier(), decided.effect(), decided.rules(), decided.policyVersion(), decided.requiredRoles(),
                        decided.mfa(), decided.denyRules()));
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.EXECUTION_STARTED),
                granted.steps().stream().map(AuditPayload::type).toList());
        assertEquals(AuditEventType.CALL_GRANTED.steps(), granted.steps().stream().map(AuditPayload::type).toList());
        assertEquals(new AuditPayload.ExecutionStarted(null), granted.steps().get(2), "no warrant: the entry is the authorisation");
        assertEquals(0, Files.size(tmp.resolve("audit").resolve(Magistrate.LEDGER_FILE)), "nothing was spent in the ledger");
        assertLogVerifies();

        AuditTimeline.Row row = AuditTimeline.of(events).get(0);
        assertEquals("ran", row.outcome());
        assertEquals("health_check", row.action());
        assertEquals("runbook-1", row.parentIntentId());
        assertEquals("T0", row.tier());
        assertNotNull(row.waited(), "decided at its CALL_GRANTED entry");
        assertNull(row.warrantId());
        AuditReport report = AuditReport.of(events);
        assertEquals(2, report.entries());
        assertEquals(Map.of("completed", 1L), report.intentsByOutcome());
        assertEquals(Map.of("health_check", 1L), report.intentsByAction());
        assertEquals(Map.of("T0", 1L), report.decisionsByTier());
    }

    @Test
    void everyCallButAT0GrantInTheProcessKeepsItsSeparateEntries() throws Exception {
        Path approvers = tmp.resolve("approvers.yaml");
        Files.writeString(approvers, "approvers:\n  - {id: alice, roles: [sre]}\n");
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, """
                policies:
                  - name: reads
                    condition: "action == 'health_check'"
                    risk_tier: T0
                  - name: deploys
                    condition: "action == 'deploy'"
                    risk_tier: T1
                  - name: no drops
                    condition: "action == 'drop_table'"
                    effect: deny
                    reason: never
                """);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        Intent deploy, drop;
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(policy).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).agentId("ops-agent").approvals("programmatic").approvers(approvers).signalsJmx(false).build())) {
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            deploy = m.intent("deploy").arg("version", "1.2").build();
            Future<Execution> approved = caller.submit(() -> m.admit(deploy));
            desk.awaitRequest(deploy.id(), Duration.ofSeconds(30));
            assertTrue(desk.approve(deploy.id(), "alice").accepted());
            approved.get(30, TimeUnit.SECONDS).completed("deployed");
            drop = m.intent("drop_table").build();
            assertThrows(DeniedException.class, () -> m.admit(drop));
        } finally {
            caller.shutdownNow();
        }
        List<AuditEvent> events = entries();
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.APPROVAL_REQUESTED, AuditEventType.VOTE,
                AuditEventType.WARRANT_ISSUED, AuditEventType.WARRANT_VERIFIED, AuditEventType.EXECUTION_STARTED, AuditEventType.EXECUTION_COMPLETED),
                events.stream().filter(e -> e.intentId().equals(deploy.id())).map(AuditEvent::type).toList());
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.INTENT_DENIED),
                events.stream().filter(e -> e.intentId().equals(drop.id())).map(AuditEvent::type).toList());
        assertLogVerifies();
    }

    static final String BUDGET = """
            default: T0
            policies:
              - name: hourly-scale-budget
                condition: "action == 'scale_service' and sum(args.instances, 1h) + args.instances > 20"
                effect: deny
                reason: "the hourly budget of 20 instances is spent"
            """;

    /**
     * The engine reopens on a trail that holds both kinds of record of a call that spent from a window: CALL_GRANTED (a T0
     * call admitted in the process) and the separate INTENT_SUBMITTED, DECISION, EXECUTION_STARTED (a call through a warrant,
     * and a T0 call as engines before CALL_GRANTED wrote it, forged here with the real log keys). Every one still counts.
     */
    @Test
    void aRestartRebuildsTheBudgetFromGrantedCallsAndFromEntriesWrittenTheOldWay() throws Exception {
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, BUDGET);
        MagistrateSettings settings = MagistrateSettings.builder().policy(policy).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).agentId("ops-agent").build();
        try (Magistrate m = Magistrate.open(settings)) {
            m.admit(m.intent("scale_service").arg("instances", 6).build()).completed("scaled");
            Intent viaWarrant = m.intent("scale_service").arg("instances", 4).build();
            Warrant w = m.governor().authorize(viaWarrant);
            m.governor().verify(w, "scale_service", Map.of("instances", 4)).completed("scaled");
        }
        // A T0 call as an engine before CALL_GRANTED recorded it: three entries, the start without a warrant.
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(tmp.resolve("audit"), Magistrate.AUDIT_ORIGIN,
                KeyDirectory.open(tmp.resolve("keys")).logKeys()))) {
            Instant now = Instant.now();
            log.append(AuditEvent.of("old-1", now, new AuditPayload.IntentSubmitted("scale_service", null, "ops-agent", null, null, null, null,
                    "{\"instances\":5}", "sha256:unused", null)));
            log.append(AuditEvent.of("old-1", now, new AuditPayload.Decision("scale_service", "T0", "allow", List.of(), "v0", 0, List.of(), false,
                    "default", List.of(), null, List.of("5 sum(args.instances, 1h)"))));
            log.append(AuditEvent.of("old-1", now, new AuditPayload.ExecutionStarted(null)));
        }
        List<AuditEvent> first = entries();
        assertEquals(1, first.stream().filter(e -> e.type() == AuditEventType.CALL_GRANTED
                && List.of("6 sum(args.instances, 1h)").equals(e.fields().get("window_spend"))).count(), "the grant carries its spend");
        try (Magistrate m = Magistrate.open(settings)) {
            DeniedException over = assertThrows(DeniedException.class, () -> m.admit(m.intent("scale_service").arg("instances", 6).build()));
            assertTrue(over.getMessage().contains("budget sum(args.instances, 1h): 15 used by agent ops-agent"), over.getMessage());
            m.admit(m.intent("scale_service").arg("instances", 5).build()).completed("scaled"); // 15 + 5: the last of the budget
            assertThrows(DeniedException.class, () -> m.admit(m.intent("scale_service").arg("instances", 1).build()));
        }
        assertLogVerifies();
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
