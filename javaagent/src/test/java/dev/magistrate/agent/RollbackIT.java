package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under the agent, a tool that throws is rolled back: the engine calls its compensating method on the same object, and that
 * instrumented method, called reflectively from a Magistrate thread, goes through the advice like any governed call.
 */
class RollbackIT {

    static final String APP = "example.app.RollbackApp";

    @TempDir
    Path dir;

    @Test
    void aScaleThatThrowsIsRolledBackOnceThroughTheAdviceAndTheAuditLinksThem() throws Exception {
        rolledBackOnce(AgentRun.java());
    }

    @Test
    void theSameOnJdk25() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        rolledBackOnce(AgentRun.JDK25.toString());
    }

    private void rolledBackOnce(String java) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                default: T0
                rollbacks:
                  - action: scale_service
                    when: failed
                  - action: delete_service
                    when: failed
                """);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n");

        AgentRun.Result r = AgentRun.withAgent(java, dir, AgentRun.appClasspath(), APP);
        assertEquals(0, r.exit(), r::toString);
        assertEquals("DENIED java.lang.IllegalStateException: quota exceeded scaling web to 200 in eu-1", r.outcome("scale"),
                "the caller gets its own failure, not held by the rollback");
        assertEquals(List.of("ROLLBACK web in eu-1 result=null on magistrate-rollback-1"),
                r.out().lines().filter(l -> l.startsWith("ROLLBACK ")).toList(), "once, on the same object, on a Magistrate thread");
        assertEquals("ROLLBACKS 1", r.line("ROLLBACKS "), r::toString);
        assertTrue(r.err().contains("RollbackApp$Scaler#delete: @GovernedAction(rollback = \"undelete_service\") cannot run: no @GovernedAction"
                + " method of the same class has the action 'undelete_service'"), "reported when the class is instrumented:\n" + r.err());

        List<AuditEvent> events = InterceptionIT.readAudit(dir.resolve("audit"));
        String original = intentOf(events, "scale_service");
        assertTrue(events.stream().anyMatch(e -> e.intentId().equals(original) && e.payload() instanceof AuditPayload.ExecutionFailed));
        List<AuditPayload.RollbackTriggered> triggers = events.stream().filter(e -> e.intentId().equals(original))
                .map(AuditEvent::payload).filter(AuditPayload.RollbackTriggered.class::isInstance).map(AuditPayload.RollbackTriggered.class::cast).toList();
        assertEquals(1, triggers.size(), "at most one rollback per call");
        AuditPayload.RollbackTriggered t = triggers.get(0);
        assertEquals("failed", t.trigger());
        assertEquals("scale_back", t.rollbackAction());
        assertNull(t.error());

        String rollback = intentOf(events, "scale_back");
        assertEquals(t.rollbackIntentId(), rollback, "the trigger names the intent the compensating call was governed as");
        AuditPayload.IntentSubmitted submitted = events.stream().filter(e -> e.intentId().equals(rollback))
                .flatMap(e -> e.payload().steps().stream()).filter(AuditPayload.IntentSubmitted.class::isInstance).map(AuditPayload.IntentSubmitted.class::cast)
                .findFirst().orElseThrow();
        assertEquals(original, submitted.parentIntentId());
        assertEquals("{\"result\":null,\"service\":\"web\"}", submitted.args());
        assertTrue(submitted.justification().endsWith("triggered by failed"), submitted.justification());
        // Decided like any call: here a T0 allow, whose write-ahead CALL_GRANTED entry is its authorisation (docs/warrants.md).
        assertTrue(events.stream().anyMatch(e -> e.intentId().equals(rollback) && e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.Decision d
                && d.effect().equals("allow"))), "decided like any call");
        assertTrue(events.stream().anyMatch(e -> e.intentId().equals(rollback) && e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.ExecutionStarted)));
        assertTrue(events.stream().anyMatch(e -> e.intentId().equals(rollback) && e.payload() instanceof AuditPayload.ExecutionCompleted));
        assertTrue(events.stream().noneMatch(e -> e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.IntentSubmitted s && s.action().equals("delete_service"))),
                "the broken tool was never called");
    }

    private static String intentOf(List<AuditEvent> events, String action) {
        List<String> ids = events.stream().filter(e -> e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.IntentSubmitted s && s.action().equals(action)))
                .map(AuditEvent::intentId).toList();
        assertEquals(1, ids.size(), action + ": " + ids);
        return ids.get(0);
    }
}
