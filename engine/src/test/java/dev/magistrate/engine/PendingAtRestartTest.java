package dev.magistrate.engine;

import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Issue 15: what waited for approval when the process stopped is found on the next start (and only that), recorded as
 * abandoned once, lent to the approval backend for display, and followed by the same call made again. The restart itself,
 * with a JVM killed by SIGKILL, is RestartWhileWaitingIT in the agent module.
 */
class PendingAtRestartTest {

    @TempDir
    Path tmp;

    static final Instant T = Instant.parse("2026-11-30T09:00:00Z");

    private Intent scale(String id, int instances) {
        return Intent.builder("scale").id(id).agent("ops-agent").arg("service", "web").arg("instances", instances).submittedAt(T).build();
    }

    /** What a process that stopped mid-approval left behind, written with the real log writer. */
    private void previousRun() {
        KeyDirectory keys = KeyDirectory.openOrCreate(tmp.resolve("keys"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(tmp.resolve("audit"), Magistrate.AUDIT_ORIGIN, keys.logKeys()))) {
            waiting(log, scale("waiting", 200));
            // T0 calls granted in one entry each, as most of a busy trail is: the start's pass skips them undecoded.
            for (int n = 0; n < 3; n++) {
                Intent t0 = scale("t0-" + n, n);
                log.append(AuditEvent.of(t0.id(), T, new AuditPayload.CallGranted(submitted(t0), new AuditPayload.Decision("scale", "T0",
                        "allow", List.of(), "v1", 0, List.of(), false, "default", List.of()))));
            }
            waiting(log, scale("approved", 30));
            log.append(AuditEvent.of("approved", T, new AuditPayload.WarrantIssued("w-1", "{}", List.of("sam"), "2026-11-30T09:05:00Z")));
            waiting(log, scale("timed-out", 40));
            log.append(AuditEvent.of("timed-out", T, new AuditPayload.IntentTimedOut("no approver answered", 600_000)));
            waiting(log, scale("asked", 50));
            log.append(AuditEvent.of("asked", T, new AuditPayload.InformationRequested("sam", "why?")));
            Intent undecided = scale("undecided", 60);
            log.append(AuditEvent.of(undecided.id(), T, submitted(undecided)));
        }
    }

    private static void waiting(ChronicleAuditLog log, Intent i) {
        log.append(AuditEvent.of(i.id(), T, submitted(i)));
        log.append(AuditEvent.of(i.id(), T, new AuditPayload.Decision("scale", "T1", "approve", List.of("scaling"), "v1", 1, List.of(),
                false, "rule 'scaling'", List.of())));
        log.append(AuditEvent.of(i.id(), T, new AuditPayload.ApprovalRequested("console", 1, List.of(), 600_000)));
    }

    private static AuditPayload.IntentSubmitted submitted(Intent i) {
        return new AuditPayload.IntentSubmitted(i.action(), null, i.agent(), null, null, null, null, i.argsCanonicalJson(), i.argsDigest(), null);
    }

    private List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    private MagistrateSettings settings() throws Exception {
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, "policies:\n  - {name: scaling, condition: \"action == 'scale'\", risk_tier: T1}\n");
        return MagistrateSettings.builder().policy(policy).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys"))
                .agentId("ops-agent").approvals("programmatic").build();
    }

    @Test
    void onlyTheCallStillWaitingIsAbandonedShownAndFollowedByTheSameCallMadeAgain() throws Exception {
        previousRun();
        try (Magistrate m = Magistrate.open(settings())) {
            List<AuditEvent> abandoned = audit().stream().filter(e -> e.type() == AuditEventType.INTENT_ABANDONED).toList();
            assertEquals(List.of("waiting"), abandoned.stream().map(AuditEvent::intentId).toList(),
                    "approved, timed out, answered with a question, or never sent to approvers: none of those waited");

            List<ApprovalRequest> shown = m.governor().approvalContext().abandonedAtStart();
            assertEquals(1, shown.size());
            assertEquals("{\"instances\":200,\"service\":\"web\"}", shown.get(0).intent().argsCanonicalJson(), "rebuilt as approvers saw it");
            assertEquals("T1", shown.get(0).decision().tier().name());

            ProgrammaticApprovalBackend approvals = (ProgrammaticApprovalBackend) m.approvalBackend();
            Intent other = m.intent("scale").arg("service", "web").arg("instances", 25).build();
            m.governor().authorizeAsync(other);
            assertNull(approvals.awaitRequest(other.id(), Duration.ofSeconds(10)).parentIntentId(), "other arguments: another call");
            Intent again = m.intent("scale").arg("service", "web").arg("instances", 200).build();
            m.governor().authorizeAsync(again);
            assertEquals("waiting", approvals.awaitRequest(again.id(), Duration.ofSeconds(10)).parentIntentId(),
                    "the same call made again follows the abandoned one");
            Intent thrice = m.intent("scale").arg("service", "web").arg("instances", 200).build();
            m.governor().authorizeAsync(thrice);
            assertNull(approvals.awaitRequest(thrice.id(), Duration.ofSeconds(10)).parentIntentId(), "followed once");
            AuditEvent retry = audit().stream().filter(e -> e.intentId().equals(again.id()) && e.type() == AuditEventType.INTENT_SUBMITTED)
                    .findFirst().orElseThrow();
            assertEquals("waiting", retry.fields().get("parent_intent_id"));
        }
        // Closing ended the three calls above cleanly (denied as the engine closed): the next start abandons nothing more.
        try (Magistrate m = Magistrate.open(settings())) {
            assertEquals(1, audit().stream().filter(e -> e.type() == AuditEventType.INTENT_ABANDONED).count());
            assertEquals(List.of(), m.governor().approvalContext().abandonedAtStart());
        }
    }

    @Test
    void aFreshAuditDirectoryHasNothingToAbandon() throws Exception {
        try (Magistrate m = Magistrate.open(settings())) {
            assertEquals(List.of(), m.governor().approvalContext().abandonedAtStart());
            assertEquals(0, audit().stream().filter(e -> e.type() == AuditEventType.INTENT_ABANDONED).count());
        }
    }
}
