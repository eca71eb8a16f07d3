package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditTimelineTest {

    static final Instant T = Instant.parse("2026-11-24T03:12:00Z");

    static AuditEvent at(long ms, String intent, AuditPayload payload) {
        return AuditEvent.of(intent, T.plusMillis(ms), payload);
    }

    static AuditPayload submitted(String action, String parent) {
        return new AuditPayload.IntentSubmitted(action, "prod/web", "ops-agent", null, null, null, null, "{}", "00", parent);
    }

    static AuditPayload decision(String tier, String effect, List<String> rules) {
        return new AuditPayload.Decision("x", tier, effect, rules, "v1", 0, List.of(), false, "because", effect.equals("deny") ? rules : List.of());
    }

    static AuditPayload vote(String approver, String verdict, boolean accepted, String rejection) {
        return new AuditPayload.Vote(approver, List.of("sre"), verdict, null, accepted, rejection);
    }

    static AuditPayload warrant(String id) {
        return new AuditPayload.WarrantIssued(id, "{}", List.of(), "2026-11-24T03:13:00.000Z");
    }

    @Test
    void oneRowPerIntentWithWhoApprovedTheWarrantAndTheWait() {
        List<AuditEvent> events = List.of(
                at(0, "i1", submitted("scale_service", null)),
                at(1, "i1", decision("T3", "approve", List.of())),
                at(2, "i1", new AuditPayload.ApprovalRequested("console", 2, List.of(), 900_000)),
                at(475, "i1", vote("sam", "deny", true, null)),
                at(476, "i1", new AuditPayload.IntentDenied("200 is a DDoS bill", "sam", "approval")),
                at(500, "i2", submitted("scale_service", null)),
                at(501, "i2", decision("T2", "approve", List.of())),
                at(600, "i2", vote("carol", "approve", false, "lacks role sre")),
                at(610, "i2", vote("sam", "approve", true, null)),
                at(637, "i2", vote("riya", "approve", true, null)),
                at(638, "i2", warrant("w2")),
                at(639, "i2", new AuditPayload.ExecutionStarted("w2")),
                at(640, "i3", submitted("health_check", "i2")),
                at(640, "i3", decision("T0", "allow", List.of())),
                at(640, "i3", warrant("w3")),
                at(641, "i3", new AuditPayload.ExecutionCompleted("ok", "00", 1)),
                at(650, "i2", new AuditPayload.ExecutionCompleted("scaled", "00", 11)),
                at(700, "i4", submitted("run_database_operation", null)),
                at(700, "i4", decision("T3", "deny", List.of("No DROP"))),
                at(700, "i4", new AuditPayload.IntentDenied("never drop", "No DROP", "policy")));
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

    @Test
    void anEditedCallShowsBothValuesAndAQuestionIsItsOwnOutcome() {
        List<AuditEvent> events = List.of(
                at(0, "i1", submitted("scale_service", null)),
                at(1, "i1", decision("T2", "approve", List.of())),
                at(10, "i1", vote("riya", "approve", true, null)),
                at(20, "i1", vote("sam", "approve", true, null)),
                at(20, "i1", new AuditPayload.ArgumentsEdited("sam", "{\"instances\":200}", "{\"instances\":25}", "sha256:00", "T2",
                        List.of(), List.of("riya"))),
                at(30, "i1", vote("bob", "approve", true, null)),
                at(31, "i1", warrant("w1")),
                at(32, "i1", new AuditPayload.ExecutionCompleted("scaled", "00", 1)),
                at(40, "i2", submitted("scale_service", null)),
                at(41, "i2", decision("T2", "approve", List.of())),
                at(50, "i2", vote("sam", "more_info", true, null)),
                at(50, "i2", new AuditPayload.InformationRequested("sam", "Why 200?")),
                at(60, "i3", submitted("scale_service", "i2")));
        List<AuditTimeline.Row> rows = AuditTimeline.of(events);
        assertEquals(List.of("sam", "bob"), rows.get(0).approvers(), "riya approved 200, not 25");
        assertEquals("ran with changes", rows.get(0).outcome());
        assertEquals("approved with changes by sam: {\"instances\":200} -> {\"instances\":25}", rows.get(0).reason());
        assertEquals("needs information", rows.get(1).outcome());
        assertEquals("Why 200?", rows.get(1).reason());
        assertEquals("i2", rows.get(2).parentIntentId());
    }
}
