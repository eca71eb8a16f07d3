package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditTimeline;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process dies between the start of the call and the body's return: nothing can run twice, and the record says what is known
 * (for a T0 call, the CALL_GRANTED entry written ahead of the body).
 */
class CrashIT {

    @TempDir
    Path dir;

    @Test
    void aCrashAfterTheCallStartedLeavesNothingToRunAgainAndTheIntentVisiblyUnfinished() throws Exception {
        InterceptionIT.workDir(dir, "");
        AgentRun.Result crashed = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "crash-in-body");
        assertEquals(137, crashed.exit(), crashed::toString);
        assertTrue(crashed.out().contains("BODY-RAN web"), crashed::toString);

        List<AuditEvent> events = InterceptionIT.readAudit(dir.resolve("audit"));
        // The one entry written ahead of the body (submitted, decided, started) survived the kill -9, whole.
        AuditEvent granted = events.stream().filter(e -> e.type() == AuditEventType.CALL_GRANTED).findFirst().orElseThrow();
        assertEquals("allow", granted.fields().get("effect"), "the T0 grant is its CALL_GRANTED entry");
        assertEquals("T0", granted.fields().get("tier"));
        assertEquals("health_check", granted.fields().get("action"));
        assertEquals("{\"service\":\"web\"}", granted.fields().get("args"), "what ran, recorded before it ran");
        assertTrue(events.stream().noneMatch(e -> e.intentId().equals(granted.intentId()) && e.type() != AuditEventType.CALL_GRANTED),
                "its only entry: " + events);
        assertFalse(events.stream().anyMatch(e -> e.type() == AuditEventType.WARRANT_ISSUED), "nothing was issued that could be presented again");
        assertFalse(events.stream().anyMatch(e -> e.type() == AuditEventType.EXECUTION_COMPLETED || e.type() == AuditEventType.EXECUTION_FAILED));
        List<AuditTimeline.Row> rows = AuditTimeline.of(dir.resolve("audit"));
        assertEquals("started, no outcome recorded", rows.get(rows.size() - 1).outcome(), "the last state is visible");

        // After the restart the log opens (its unsigned tail is signed) and verifies; the crashed call left no token behind.
        MagistrateSettings settings = MagistrateSettings.builder().policy(dir.resolve("policy.yaml")).auditDirectory(dir.resolve("audit"))
                .keysDirectory(dir.resolve("keys")).build();
        try (Magistrate m = Magistrate.open(settings)) {
            assertEquals(0, Files.size(dir.resolve("audit").resolve(Magistrate.LEDGER_FILE)));
        }
        AgentRun.Result again = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "class");
        assertEquals("OK healthy web", again.outcome("class"), "a new call is a new intent, decided afresh");
        List<AuditEvent> after = InterceptionIT.readAudit(dir.resolve("audit"));
        assertEquals(2, after.stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).map(AuditEvent::intentId).distinct().count());
    }
}
