package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditTimeline;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.DeniedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process dies between the warrant check and the body's return: nothing can run twice, and the record says what is known. */
class CrashIT {

    @TempDir
    Path dir;

    @Test
    void aCrashAfterTheWarrantWasCheckedLeavesItUsedUpAndTheIntentVisiblyUnfinished() throws Exception {
        InterceptionIT.workDir(dir, "");
        AgentRun.Result crashed = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "crash-in-body");
        assertEquals(137, crashed.exit(), crashed::toString);
        assertTrue(crashed.out().contains("BODY-RAN web"), crashed::toString);

        List<AuditEvent> events = InterceptionIT.readAudit(dir.resolve("audit"));
        AuditEvent issued = events.stream().filter(e -> e.type() == AuditEventType.WARRANT_ISSUED).findFirst().orElseThrow();
        assertTrue(events.stream().anyMatch(e -> e.type() == AuditEventType.EXECUTION_STARTED), "written ahead, before the body ran");
        assertFalse(events.stream().anyMatch(e -> e.type() == AuditEventType.EXECUTION_COMPLETED || e.type() == AuditEventType.EXECUTION_FAILED));
        List<AuditTimeline.Row> rows = AuditTimeline.of(dir.resolve("audit"));
        assertEquals("started, no outcome recorded", rows.get(rows.size() - 1).outcome(), "the last state is visible");

        // After the restart the log opens (its unsigned tail is signed) and the warrant is spent: it cannot run the call again.
        MagistrateSettings settings = MagistrateSettings.builder().policy(dir.resolve("policy.yaml")).auditDirectory(dir.resolve("audit"))
                .keysDirectory(dir.resolve("keys")).build();
        try (Magistrate m = Magistrate.open(settings)) {
            String warrant = (String) issued.fields().get("warrant");
            DeniedException replay = assertThrows(DeniedException.class, () -> m.governor().verify(warrant, "health_check", Map.of("service", "web")));
            assertTrue(replay.getMessage().contains("already used"), replay.getMessage());
        }
        AgentRun.Result again = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "class");
        assertEquals("OK healthy web", again.outcome("class"), "a new call is a new intent with a warrant of its own");
    }
}
