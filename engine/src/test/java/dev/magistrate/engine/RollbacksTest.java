package dev.magistrate.engine;

import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Rollback plans that run, through {@link Magistrate#open} on a real audit trail on disk. The tool below governs its own
 * methods through {@link ToolCalls} exactly as the agent's advice and the Spring interceptor do, so the engine's reflective
 * call of the compensating method is governed like any call.
 */
class RollbacksTest {

    @TempDir
    Path tmp;

    private static final String[] SCALE_ARGS = {"service", "instances"};
    private static final ToolMethod SCALE = new ToolMethod("scale_service", null, SCALE_ARGS, -1, -1, null, false, false, false,
            "Scaler#scale", null, Compensation.bind("scale_back", "Scaler#scale", false, SCALE_ARGS, new String[]{"java.lang.String", "int"},
            "java.lang.String", List.of(new Compensation.Candidate("scaleBack", false, List.of("service", "result"),
                    List.of("java.lang.String", "java.lang.String")))));
    private static final ToolMethod SCALE_BACK = new ToolMethod("scale_back", null, new String[]{"service", "result"}, -1, -1, null,
            false, false, false, "Scaler#scaleBack", null);

    /** A tool with a compensating method; each method governs itself the way an adapter would. */
    static final class Scaler {
        final Magistrate magistrate;
        final List<String> done = new CopyOnWriteArrayList<>();
        final List<String> rollbackThreads = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        Scaler(Magistrate magistrate) {
            this.magistrate = magistrate;
        }

        public String scale(String service, int instances) {
            return governed(SCALE, new Object[]{service, instances}, a -> {
                if (failing) throw new IllegalStateException("quota exceeded");
                done.add("scale " + a[0] + " to " + a[1]);
                return "was 4";
            });
        }

        String scaleBack(String service, String result) {
            return governed(SCALE_BACK, new Object[]{service, result}, a -> {
                rollbackThreads.add(Thread.currentThread().getName());
                done.add("back " + a[0] + " (" + a[1] + ")");
                return "restored";
            });
        }

        private String governed(ToolMethod m, Object[] args, Function<Object[], String> body) {
            ToolCalls.Admission a = ToolCalls.admit(magistrate, null, m, this, args, null, null);
            if (a instanceof ToolCalls.Stopped s) return (String) s.returnOrThrow();
            ToolCalls.Runs run = (ToolCalls.Runs) a;
            String out;
            try {
                out = body.apply(args);
            } catch (RuntimeException e) {
                ToolCalls.ran(run, null, e);
                throw e;
            }
            ToolCalls.ran(run, out, null);
            return out;
        }
    }

    /** A clock the test moves forward. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }

    private MagistrateSettings.Builder settings(String policy) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, policy);
        return MagistrateSettings.builder().policy(file).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys"))
                .agentId("ops-agent").signalsJmx(false).telemetry(false);
    }

    private List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    /** Waits for an entry the engine writes on its own threads; generous, since the machine may be loaded. */
    private AuditEvent awaitEntry(Predicate<AuditEvent> wanted, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (AuditEvent e : audit()) if (wanted.test(e)) return e;
            Thread.sleep(50);
        }
        return fail("no audit entry: " + what + "; the trail holds " + audit().stream().map(e -> e.type() + " " + e.intentId()).toList());
    }

    private AuditEvent awaitTrigger(String originalIntentId) throws InterruptedException {
        return awaitEntry(e -> e.payload() instanceof AuditPayload.RollbackTriggered && e.intentId().equals(originalIntentId),
                "ROLLBACK_TRIGGERED of " + originalIntentId);
    }

    private AuditEvent awaitOf(String intentId, Class<? extends AuditPayload> type) throws InterruptedException {
        return awaitEntry(e -> e.payload().steps().stream().anyMatch(type::isInstance) && e.intentId().equals(intentId),
                type.getSimpleName() + " of " + intentId);
    }

    private List<AuditEvent> triggersOf(String originalIntentId) {
        return audit().stream().filter(e -> e.payload() instanceof AuditPayload.RollbackTriggered && e.intentId().equals(originalIntentId)).toList();
    }

    private String intentOf(String action, int nth) {
        return audit().stream().filter(e -> e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.IntentSubmitted s && s.action().equals(action)))
                .skip(nth).findFirst().orElseThrow().intentId();
    }

    private static final String FAILED = """
            default: T0
            rollbacks:
              - action: scale_*
                when: failed
            """;

    private static final String WATCHED = """
            default: T0
            rollbacks:
              - action: scale_service
                when: "signal.error_rate > 0.05"
                within: 10m
            """;

    @Test
    void aScaleThatFailsIsRolledBackOnceOnAMagistrateThreadAsAGovernedCallLinkedToIt() throws Exception {
        try (Magistrate m = Magistrate.open(settings(FAILED).build())) {
            Scaler tool = new Scaler(m);
            tool.failing = true;
            assertEquals("quota exceeded", assertThrows(IllegalStateException.class, () -> tool.scale("web", 200)).getMessage());
            String original = intentOf("scale_service", 0);

            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(original).payload();
            assertEquals("failed", t.trigger());
            assertEquals(List.of(), t.signals());
            assertEquals("scale_back", t.rollbackAction());
            assertNull(t.error());
            awaitOf(t.rollbackIntentId(), AuditPayload.ExecutionCompleted.class);

            AuditPayload.IntentSubmitted rollback = (AuditPayload.IntentSubmitted) awaitOf(t.rollbackIntentId(), AuditPayload.IntentSubmitted.class)
                    .payload().steps().get(0); // a T0 call's CALL_GRANTED: its submission is its first step
            assertEquals("scale_back", rollback.action());
            assertEquals(original, rollback.parentIntentId());
            assertEquals("rollback of intent " + original + " (scale_service), triggered by failed", rollback.justification());
            assertEquals("{\"result\":null,\"service\":\"web\"}", rollback.args(), "bound by name from the call; a failed call has no result");
            assertEquals(List.of("back web (null)"), tool.done);
            assertTrue(tool.rollbackThreads.get(0).startsWith("magistrate-rollback-"), tool.rollbackThreads.toString());
            assertEquals(1, triggersOf(original).size());
            assertTrue(triggersOf(t.rollbackIntentId()).isEmpty(), "a rollback is not rolled back in turn");
        }
    }

    @Test
    void anErrorRateThatCrossesTheThresholdWithinTheWindowRollsTheScaleBackOnce() throws Exception {
        try (Magistrate m = Magistrate.open(settings(WATCHED).build())) {
            Scaler tool = new Scaler(m);
            m.signal("error_rate", 0.01);
            assertEquals("was 4", tool.scale("web", 25));
            String first = intentOf("scale_service", 0);
            m.signal("error_rate", 0.03);
            m.signal("error_rate", 0.07);

            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(first).payload();
            assertEquals("signal.error_rate > 0.05", t.trigger());
            assertEquals(List.of("signal.error_rate=0.07"), t.signals(), "the value that crossed it");
            awaitOf(t.rollbackIntentId(), AuditPayload.ExecutionCompleted.class);
            assertEquals(List.of("scale web to 25", "back web (was 4)"), tool.done, "the result is bound to 'result'");

            // Still over the threshold: the first call is not rolled back again. A second call, watched after that signal was
            // looked at (one watcher thread, in order), is rolled back at once, as the error rate is already high.
            m.signal("error_rate", 0.09);
            tool.scale("web", 30);
            String second = intentOf("scale_service", 1);
            AuditPayload.RollbackTriggered t2 = (AuditPayload.RollbackTriggered) awaitTrigger(second).payload();
            assertEquals(List.of("signal.error_rate=0.09"), t2.signals());
            awaitOf(t2.rollbackIntentId(), AuditPayload.ExecutionCompleted.class);
            assertEquals(1, triggersOf(first).size(), "at most one rollback per call");
        }
    }

    @Test
    void aSignalThatCrossesAfterTheWindowRollsNothingBack() throws Exception {
        MovableClock clock = new MovableClock();
        try (Magistrate m = Magistrate.open(settings(WATCHED).clock(clock).build())) {
            Scaler tool = new Scaler(m);
            tool.scale("web", 25);
            String late = intentOf("scale_service", 0);
            clock.advance(Duration.ofMinutes(11));
            m.signal("error_rate", 0.07);
            // A call made now is watched after that signal was looked at, and is rolled back: by then the first was passed over.
            tool.scale("api", 5);
            String fresh = intentOf("scale_service", 1);
            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(fresh).payload();
            awaitOf(t.rollbackIntentId(), AuditPayload.ExecutionCompleted.class);
            assertTrue(triggersOf(late).isEmpty(), "its window had ended");
            assertEquals(List.of("scale web to 25", "scale api to 5", "back api (was 4)"), tool.done);
        }
    }

    @Test
    void aRollbackThePolicyDeniesIsAuditedAndDoesNotRun() throws Exception {
        String policy = FAILED + """
                policies:
                  - name: no scaling back by itself
                    condition: "action == 'scale_back'"
                    effect: deny
                    reason: scaling back needs a person at the console
                """;
        try (Magistrate m = Magistrate.open(settings(policy).build())) {
            Scaler tool = new Scaler(m);
            tool.failing = true;
            assertThrows(IllegalStateException.class, () -> tool.scale("web", 200));
            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(intentOf("scale_service", 0)).payload();
            AuditPayload.IntentDenied denied = (AuditPayload.IntentDenied) awaitOf(t.rollbackIntentId(), AuditPayload.IntentDenied.class).payload();
            assertEquals("policy", denied.stage());
            assertEquals("no scaling back by itself", denied.by());
            assertTrue(tool.done.isEmpty(), tool.done.toString());
            assertTrue(audit().stream().noneMatch(e -> e.intentId().equals(t.rollbackIntentId()) && e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.ExecutionStarted)));
        }
    }

    @Test
    void aRollbackThatNeedsApprovalWaitsForItsApproverAndThenRuns() throws Exception {
        Path approvers = tmp.resolve("approvers.yaml");
        Files.writeString(approvers, "approvers:\n  - {id: alice, roles: [sre]}\n");
        String policy = FAILED + """
                policies:
                  - name: scaling back
                    condition: "action == 'scale_back'"
                    risk_tier: T1
                """;
        try (Magistrate m = Magistrate.open(settings(policy).approvals("programmatic").approvers(approvers).build())) {
            ProgrammaticApprovalBackend backend = (ProgrammaticApprovalBackend) m.approvalBackend();
            Scaler tool = new Scaler(m);
            tool.failing = true;
            assertThrows(IllegalStateException.class, () -> tool.scale("web", 200), "the caller is never held by the rollback");
            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(intentOf("scale_service", 0)).payload();
            ApprovalRequest request = backend.awaitRequest(t.rollbackIntentId(), Duration.ofSeconds(60));
            assertTrue(request.intent().justification().endsWith("triggered by failed"), "approvers see why: " + request.intent().justification());
            assertTrue(tool.done.isEmpty(), "it waits for a person, like any call");
            assertTrue(backend.approve(t.rollbackIntentId(), "alice").accepted());
            awaitOf(t.rollbackIntentId(), AuditPayload.ExecutionCompleted.class);
            assertEquals(List.of("back web (null)"), tool.done);
        }
    }

    @Test
    void aRollbackThatCannotBeMadeIsAuditedAndNothingRuns() throws Exception {
        ToolMethod broken = new ToolMethod("scale_service", null, SCALE_ARGS, -1, -1, null, false, false, false, "Scaler#scale", null,
                Compensation.bind("scale_back", "Scaler#scale", false, SCALE_ARGS, new String[]{"java.lang.String", "int"}, "java.lang.String",
                        List.of(new Compensation.Candidate("scaleBack", false, List.of("service", "replicas"), List.of("java.lang.String", "int")))));
        assertEquals("scaleBack's parameter 'replicas' is bound to nothing: Scaler#scale has no argument of that name (it has [service,"
                + " instances]), and only a parameter named 'result' receives its result", broken.rollback().problem());
        try (Magistrate m = Magistrate.open(settings(FAILED).build())) {
            ToolCalls.Runs run = (ToolCalls.Runs) ToolCalls.admit(m, null, broken, new Scaler(m), new Object[]{"web", 3}, null, null);
            ToolCalls.ran(run, null, new IllegalStateException("quota exceeded"));
            AuditPayload.RollbackTriggered t = (AuditPayload.RollbackTriggered) awaitTrigger(run.intent().id()).payload();
            assertNull(t.rollbackIntentId());
            assertEquals("nothing ran: " + broken.rollback().problem(), t.error());
        }
    }

    @Test
    void bindingChecksNamesTypesAndTheResult() {
        String[] types = {"java.lang.String", "int"};
        Compensation.Candidate back = new Compensation.Candidate("scaleBack", false, List.of("service", "instances", "result"),
                List.of("java.lang.String", "java.lang.Integer", "java.lang.Object"));
        assertNull(Compensation.bind("scale_back", "T#scale", false, SCALE_ARGS, types, "java.lang.String", List.of(back)).problem(),
                "a boxed or Object parameter takes the value");
        assertEquals("no @GovernedAction method of the same class has the action 'scale_back'",
                Compensation.bind("scale_back", "T#scale", false, SCALE_ARGS, types, "void", List.of()).problem());
        assertEquals("scaleBack takes the result of T#scale, which returns nothing",
                Compensation.bind("scale_back", "T#scale", false, SCALE_ARGS, types, "void", List.of(back)).problem());
        assertEquals("scaleBack's parameter 'service' is a long, and T#scale gives it a java.lang.String",
                Compensation.bind("scale_back", "T#scale", false, SCALE_ARGS, types, "void", List.of(new Compensation.Candidate("scaleBack", false,
                        List.of("service"), List.of("long")))).problem());
        assertTrue(Compensation.bind("scale_back", "T#scale", true, SCALE_ARGS, types, "void", List.of(back)).problem().contains("static"));
    }
}
