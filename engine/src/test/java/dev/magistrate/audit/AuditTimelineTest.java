package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.magistrate.audit.AuditEventType.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditTimelineTest {

    static final Instant T = Instant.parse("2026-11-24T03:12:00Z");

    static AuditEvent at(long ms, AuditEventType type, String intent, Object... fields) {
        return AuditEvent.of(type, intent, T.plusMillis(ms), fields);
    }

    @Test
    void oneRowPerIntentWithWhoApprovedTheWarrantAndTheWait() {
        List<AuditEvent> events = List.of(
                at(0, INTENT_SUBMITTED, "i1", "action", "scale_service"),
                at(1, DECISION, "i1", "tier", "T3", "effect", "approve"),
                at(2, APPROVAL_REQUESTED, "i1", "backend", "console"),
                at(475, VOTE, "i1", "approver", "sam", "verdict", "deny", "accepted", true),
                at(476, INTENT_DENIED, "i1", "reason", "200 is a DDoS bill", "by", "sam", "stage", "approval"),
                at(500, INTENT_SUBMITTED, "i2", "action", "scale_service"),
                at(501, DECISION, "i2", "tier", "T2", "effect", "approve"),
                at(600, VOTE, "i2", "approver", "carol", "verdict", "approve", "accepted", false, "rejection", "lacks role sre"),
                at(610, VOTE, "i2", "approver", "sam", "verdict", "approve", "accepted", true),
                at(637, VOTE, "i2", "approver", "riya", "verdict", "approve", "accepted", true),
                at(638, WARRANT_ISSUED, "i2", "warrant_id", "w2"),
                at(639, EXECUTION_STARTED, "i2", "warrant_id", "w2"),
                at(640, INTENT_SUBMITTED, "i3", "action", "health_check", "parent_intent_id", "i2"),
                at(640, DECISION, "i3", "tier", "T0", "effect", "allow"),
                at(640, WARRANT_ISSUED, "i3", "warrant_id", "w3"),
                at(641, EXECUTION_COMPLETED, "i3", "result_summary", "ok"),
                at(650, EXECUTION_COMPLETED, "i2", "result_summary", "scaled"),
                at(700, INTENT_SUBMITTED, "i4", "action", "run_database_operation"),
                at(700, DECISION, "i4", "tier", "T3", "effect", "deny", "rules", List.of("No DROP")),
                at(700, INTENT_DENIED, "i4", "reason", "never drop", "by", "No DROP", "stage", "policy"));
        List<AuditTimeline.Row> rows = AuditTimeline.of(events);
        assertEquals(4, rows.size());
        AuditTimeline.Row denied = rows.get(0);
        assertEquals("denied by approver", denied.outcome());
        assertEquals("sam", denied.deniedBy());
        assertEquals(Duration.ofMillis(476), denied.waited());
        AuditTimeline.Row granted = rows.get(1);
        assertEquals(List.of("sam", "riya"), granted.approvers(), "only votes that counted");
        assertEquals("w2", granted.warrantId());
        assertEquals("ran", granted.outcome());
        assertEquals(Duration.ofMillis(138), granted.waited());
        assertEquals("i2", rows.get(2).parentIntentId());
        assertEquals("denied by policy", rows.get(3).outcome());
        assertNull(rows.get(3).warrantId());

        String text = AuditTimeline.toText(rows);
        assertTrue(text.contains("03:12:00.000  scale_service            T3   denied by approver (sam)"), text);
        assertTrue(text.contains("              200 is a DDoS bill"), text);
        assertTrue(text.contains("03:12:00.500  scale_service            T2   ran                sam, riya        138 ms     w2"), text);
        assertTrue(text.contains("03:12:00.640    health_check"), "nested calls are indented: " + text);
    }
}
