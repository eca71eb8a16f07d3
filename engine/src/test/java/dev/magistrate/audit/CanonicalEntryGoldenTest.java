package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The exact canonical bytes of one entry of each event type, with every documented field
 * in the order the engine writes it. These bytes are hashed into logs that already exist: they must
 * never change. Recorded from the name/value writer before the typed events were introduced.
 */
class CanonicalEntryGoldenTest {

    static final Instant T = Instant.parse("2026-11-24T10:15:30.123456789Z");
    static final byte[] PREV = HexFormat.of().parseHex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    static final long INDEX = 41;

    /** One event of each type as the engine writes it, keyed by type. */
    static Map<AuditEventType, AuditEvent> written() {
        Map<AuditEventType, AuditEvent> m = new LinkedHashMap<>();
        m.put(AuditEventType.INTENT_SUBMITTED, AuditEvent.of(AuditEventType.INTENT_SUBMITTED, "i-1", T,
                "action", "scale_service", "resource", "prod/web", "agent", "ops-agent", "justification", "DDoS \"spike\" \u2615 caf\u00e9",
                "urgency", "high", "cost", "1250.50", "rollback_plan", null, "args", "{\"replicas\":200,\"service\":\"web\"}",
                "args_digest", "3b5d5c3712955042212316173ccf37be800a9f0d4ce7a2f0b8f0c35c4d1c41a6", "parent_intent_id", null));
        m.put(AuditEventType.DECISION, AuditEvent.of(AuditEventType.DECISION, "i-1", T,
                "action", "scale_service", "tier", "T3", "effect", "approve", "rules", List.of("Scale limits", "Prod changes"),
                "policy_version", "9a1e0c", "required_approvals", 2L, "required_roles", List.of("sre", "lead"), "mfa", true,
                "reason", "T3 because 'Scale limits' matched", "deny_rules", List.of()));
        m.put(AuditEventType.APPROVAL_REQUESTED, AuditEvent.of(AuditEventType.APPROVAL_REQUESTED, "i-1", T,
                "backend", "console", "required_approvals", 2L, "required_roles", List.of("sre"), "timeout_ms", 900_000L));
        m.put(AuditEventType.VOTE, AuditEvent.of(AuditEventType.VOTE, "i-1", T,
                "approver", "carol", "roles", List.of("senior_dev"), "verdict", "approve", "comment", null, "accepted", false,
                "rejection", "lacks role sre"));
        m.put(AuditEventType.WARRANT_ISSUED, AuditEvent.of(AuditEventType.WARRANT_ISSUED, "i-1", T,
                "warrant_id", "w-7", "warrant", "{\"action\":\"scale_service\",\"warrant_id\":\"w-7\"}", "approved_by", List.of("sam", "riya"),
                "expires_at", "2026-11-24T10:16:30.123Z"));
        m.put(AuditEventType.INTENT_DENIED, AuditEvent.of(AuditEventType.INTENT_DENIED, "i-2", T,
                "reason", "200 replicas is a DDoS bill\nnot a fix", "by", "sam", "stage", "approval"));
        m.put(AuditEventType.INTENT_TIMED_OUT, AuditEvent.of(AuditEventType.INTENT_TIMED_OUT, "i-3", T,
                "reason", "no decision within PT15M", "waited_ms", 900_004L));
        m.put(AuditEventType.WARRANT_VERIFIED, AuditEvent.of(AuditEventType.WARRANT_VERIFIED, "i-1", T,
                "warrant_id", "w-7", "reason", "valid for this call"));
        m.put(AuditEventType.WARRANT_REJECTED, AuditEvent.of(AuditEventType.WARRANT_REJECTED, "unknown", T,
                "warrant_id", "w-8", "reason", "warrant already used"));
        m.put(AuditEventType.EXECUTION_STARTED, AuditEvent.of(AuditEventType.EXECUTION_STARTED, "i-1", T,
                "warrant_id", "w-7"));
        m.put(AuditEventType.EXECUTION_COMPLETED, AuditEvent.of(AuditEventType.EXECUTION_COMPLETED, "i-1", T,
                "result_summary", "scaled web to 4", "result_sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "duration_ms", 37L));
        m.put(AuditEventType.EXECUTION_FAILED, AuditEvent.of(AuditEventType.EXECUTION_FAILED, "i-4", T,
                "exception", "java.lang.IllegalStateException", "message", null, "duration_ms", 0L));
        // Added with the type (recovery after a full disk); the twelve entries above are unchanged.
        m.put(AuditEventType.LOG_RECOVERED, AuditEvent.of(AuditEventType.LOG_RECOVERED, "audit-log", T,
                "reason", "entry 993 was torn: No space left on device", "damaged_records", 1L, "damaged_bytes", 4199L));
        m.put(AuditEventType.ACCESS, AuditEvent.of(AuditEventType.ACCESS, "access", T,
                "channel", "slack", "subject", "U024BE7LH", "allowed", false, "intent", "i-1", "detail", "signature does not verify"));
        // Added with approve-with-changes and more-info (issue 12); every entry above is unchanged.
        m.put(AuditEventType.ARGUMENTS_EDITED, AuditEvent.of(AuditEventType.ARGUMENTS_EDITED, "i-1", T,
                "by", "sam", "requested_args", "{\"instances\":200,\"service\":\"web\"}", "approved_args", "{\"instances\":25,\"service\":\"web\"}",
                "args_digest", "sha256:5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9", "tier", "T2", "rules", List.of("Scale limits"),
                "discarded_approvals", List.of("riya")));
        m.put(AuditEventType.INFORMATION_REQUESTED, AuditEvent.of(AuditEventType.INFORMATION_REQUESTED, "i-5", T,
                "by", "sam", "question", "Why 200 and not 25? Show the CPU graph."));
        // Added with pending approvals that survive a restart (issue 15).
        m.put(AuditEventType.INTENT_ABANDONED, AuditEvent.of(AuditEventType.INTENT_ABANDONED, "i-6", T,
                "reason", "the process restarted while the call waited for approval"));
        // Added with shadow policies (issue 13).
        m.put(AuditEventType.SHADOW_DECISION, AuditEvent.of(AuditEventType.SHADOW_DECISION, "i-6", T,
                "effect", "deny", "tier", "T3", "rules", List.of("deploys", "freeze prod"), "policy_version", "9a1e0c", "source", "rules", "error", null));
        m.put(AuditEventType.POLICY_LOADED, AuditEvent.of(AuditEventType.POLICY_LOADED, "policy", T,
                "trigger", "console: riya", "previous_version", "9a1e0c", "version", "4b7f21", "source", "/etc/magistrate/policy.yaml", "rules", 12L));
        m.put(AuditEventType.POLICY_REJECTED, AuditEvent.of(AuditEventType.POLICY_REJECTED, "policy", T,
                "trigger", "file watcher", "error", "/etc/magistrate/policy.yaml:6:63: condition ends where a value was expected",
                "kept_version", "4b7f21", "source", "/etc/magistrate/policy.yaml"));
        // Added with break-glass (issue 15).
        m.put(AuditEventType.BREAK_GLASS_OPENED, AuditEvent.of(AuditEventType.BREAK_GLASS_OPENED, "bg-1", T,
                "grant_id", "bg-1", "opened_by", "riya", "roles", List.of("incident_commander"), "credential", "personal token", "mfa", "totp",
                "reason", "INC-4711: checkout down", "actions", List.of("scale_*"), "uses", 2L, "expires_at", "2026-11-24T10:45:30Z",
                "policy_version", "4b7f21"));
        m.put(AuditEventType.BREAK_GLASS_USED, AuditEvent.of(AuditEventType.BREAK_GLASS_USED, "i-7", T,
                "grant_id", "bg-1", "effect", "approve", "overrode", List.of("scale"), "uses_left", 1L));
        m.put(AuditEventType.BREAK_GLASS_REVIEWED, AuditEvent.of(AuditEventType.BREAK_GLASS_REVIEWED, "bg-1", T,
                "grant_id", "bg-1", "reviewer", "sam", "credential", "console sign-in", "verdict", "ok", "comment", "needed during INC-4711"));
        // Added with rollback plans that run (issue 15).
        m.put(AuditEventType.ROLLBACK_TRIGGERED, AuditEvent.of(AuditEventType.ROLLBACK_TRIGGERED, "i-7", T,
                "trigger", "signal.error_rate > 0.05", "signals", List.of("signal.error_rate=0.07"), "rollback_action", "scale_back",
                "rollback_intent_id", "i-8", "error", null));
        // Added with the checkpoint witness (issue 17).
        m.put(AuditEventType.WITNESS_REFUSED, AuditEvent.of(AuditEventType.WITNESS_REFUSED, "audit-log", T,
                "witness", "http://10.0.0.5:8443", "status", 409L, "refusal", "fork", "tree_size", 12L, "witnessed_size", 12L,
                "reason", "fork: a checkpoint of 12 entries with another root than the witnessed one"));
        // Added with the remote approval backend (issue 17).
        m.put(AuditEventType.FLEET_ANSWER, AuditEvent.of(AuditEventType.FLEET_ANSWER, "i-9", T,
                "request_id", "r-1", "status", "denied", "replica", "replica-b http://10.0.0.2:8443", "approved_by", List.of(),
                "rule", "No DROP", "reason", "Dropping tables is never done by an agent."));
        // Added with one write-ahead entry per T0 call (issue 14): INTENT_SUBMITTED's fields, then DECISION's.
        m.put(AuditEventType.CALL_GRANTED, AuditEvent.of(AuditEventType.CALL_GRANTED, "i-10", T,
                "action", "read_logs", "resource", "prod/web", "agent", "ops-agent", "justification", "why \"5xx\"? caf\u00e9",
                "urgency", null, "cost", "0.25", "rollback_plan", null, "args", "{\"lines\":100,\"service\":\"web\"}",
                "args_digest", "5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9", "parent_intent_id", "i-9",
                "tier", "T0", "effect", "allow", "rules", List.of("reads"), "policy_version", "9a1e0c", "required_approvals", 0L,
                "required_roles", List.of(), "mfa", false, "reason", "T0 because 'reads' matched", "deny_rules", List.of(),
                "signals", List.of("signal.error_rate=0.01"), "window_spend", List.of("100 sum(args.lines, 1h)")));
        return m;
    }

    static final String P = "{\"index\":41,\"prev\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",";

    /** The canonical bytes of each entry of {@link #written()} at index 41 (UTF-8 of these strings). */
    static final Map<AuditEventType, String> GOLDEN = golden();

    private static Map<AuditEventType, String> golden() {
        Map<AuditEventType, String> m = new LinkedHashMap<>();
        m.put(AuditEventType.INTENT_SUBMITTED, P + "\"type\":\"INTENT_SUBMITTED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"action\":\"scale_service\",\"resource\":\"prod/web\",\"agent\":\"ops-agent\",\"justification\":\"DDoS \\\"spike\\\" \u2615 caf\u00e9\",\"urgency\":\"high\",\"cost\":\"1250.50\",\"rollback_plan\":null,\"args\":\"{\\\"replicas\\\":200,\\\"service\\\":\\\"web\\\"}\",\"args_digest\":\"3b5d5c3712955042212316173ccf37be800a9f0d4ce7a2f0b8f0c35c4d1c41a6\",\"parent_intent_id\":null}}");
        m.put(AuditEventType.DECISION, P + "\"type\":\"DECISION\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"action\":\"scale_service\",\"tier\":\"T3\",\"effect\":\"approve\",\"rules\":[\"Scale limits\",\"Prod changes\"],\"policy_version\":\"9a1e0c\",\"required_approvals\":2,\"required_roles\":[\"sre\",\"lead\"],\"mfa\":true,\"reason\":\"T3 because 'Scale limits' matched\",\"deny_rules\":[]}}");
        m.put(AuditEventType.APPROVAL_REQUESTED, P + "\"type\":\"APPROVAL_REQUESTED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"backend\":\"console\",\"required_approvals\":2,\"required_roles\":[\"sre\"],\"timeout_ms\":900000}}");
        m.put(AuditEventType.VOTE, P + "\"type\":\"VOTE\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"approver\":\"carol\",\"roles\":[\"senior_dev\"],\"verdict\":\"approve\",\"comment\":null,\"accepted\":false,\"rejection\":\"lacks role sre\"}}");
        m.put(AuditEventType.WARRANT_ISSUED, P + "\"type\":\"WARRANT_ISSUED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"warrant_id\":\"w-7\",\"warrant\":\"{\\\"action\\\":\\\"scale_service\\\",\\\"warrant_id\\\":\\\"w-7\\\"}\",\"approved_by\":[\"sam\",\"riya\"],\"expires_at\":\"2026-11-24T10:16:30.123Z\"}}");
        m.put(AuditEventType.INTENT_DENIED, P + "\"type\":\"INTENT_DENIED\",\"intent_id\":\"i-2\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"reason\":\"200 replicas is a DDoS bill\\nnot a fix\",\"by\":\"sam\",\"stage\":\"approval\"}}");
        m.put(AuditEventType.INTENT_TIMED_OUT, P + "\"type\":\"INTENT_TIMED_OUT\",\"intent_id\":\"i-3\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"reason\":\"no decision within PT15M\",\"waited_ms\":900004}}");
        m.put(AuditEventType.WARRANT_VERIFIED, P + "\"type\":\"WARRANT_VERIFIED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"warrant_id\":\"w-7\",\"reason\":\"valid for this call\"}}");
        m.put(AuditEventType.WARRANT_REJECTED, P + "\"type\":\"WARRANT_REJECTED\",\"intent_id\":\"unknown\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"warrant_id\":\"w-8\",\"reason\":\"warrant already used\"}}");
        m.put(AuditEventType.EXECUTION_STARTED, P + "\"type\":\"EXECUTION_STARTED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"warrant_id\":\"w-7\"}}");
        m.put(AuditEventType.EXECUTION_COMPLETED, P + "\"type\":\"EXECUTION_COMPLETED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"result_summary\":\"scaled web to 4\",\"result_sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"duration_ms\":37}}");
        m.put(AuditEventType.EXECUTION_FAILED, P + "\"type\":\"EXECUTION_FAILED\",\"intent_id\":\"i-4\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"exception\":\"java.lang.IllegalStateException\",\"message\":null,\"duration_ms\":0}}");
        m.put(AuditEventType.LOG_RECOVERED, P + "\"type\":\"LOG_RECOVERED\",\"intent_id\":\"audit-log\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"reason\":\"entry 993 was torn: No space left on device\",\"damaged_records\":1,\"damaged_bytes\":4199}}");
        m.put(AuditEventType.ACCESS, P + "\"type\":\"ACCESS\",\"intent_id\":\"access\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"channel\":\"slack\",\"subject\":\"U024BE7LH\",\"allowed\":false,\"intent\":\"i-1\",\"detail\":\"signature does not verify\"}}");
        m.put(AuditEventType.ARGUMENTS_EDITED, P + "\"type\":\"ARGUMENTS_EDITED\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"by\":\"sam\",\"requested_args\":\"{\\\"instances\\\":200,\\\"service\\\":\\\"web\\\"}\",\"approved_args\":\"{\\\"instances\\\":25,\\\"service\\\":\\\"web\\\"}\",\"args_digest\":\"sha256:5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9\",\"tier\":\"T2\",\"rules\":[\"Scale limits\"],\"discarded_approvals\":[\"riya\"]}}");
        m.put(AuditEventType.INFORMATION_REQUESTED, P + "\"type\":\"INFORMATION_REQUESTED\",\"intent_id\":\"i-5\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"by\":\"sam\",\"question\":\"Why 200 and not 25? Show the CPU graph.\"}}");
        m.put(AuditEventType.INTENT_ABANDONED, P + "\"type\":\"INTENT_ABANDONED\",\"intent_id\":\"i-6\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"reason\":\"the process restarted while the call waited for approval\"}}");
        m.put(AuditEventType.SHADOW_DECISION, P + "\"type\":\"SHADOW_DECISION\",\"intent_id\":\"i-6\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"effect\":\"deny\",\"tier\":\"T3\",\"rules\":[\"deploys\",\"freeze prod\"],\"policy_version\":\"9a1e0c\",\"source\":\"rules\",\"error\":null}}");
        m.put(AuditEventType.POLICY_LOADED, P + "\"type\":\"POLICY_LOADED\",\"intent_id\":\"policy\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"trigger\":\"console: riya\",\"previous_version\":\"9a1e0c\",\"version\":\"4b7f21\",\"source\":\"/etc/magistrate/policy.yaml\",\"rules\":12}}");
        m.put(AuditEventType.POLICY_REJECTED, P + "\"type\":\"POLICY_REJECTED\",\"intent_id\":\"policy\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"trigger\":\"file watcher\",\"error\":\"/etc/magistrate/policy.yaml:6:63: condition ends where a value was expected\",\"kept_version\":\"4b7f21\",\"source\":\"/etc/magistrate/policy.yaml\"}}");
        m.put(AuditEventType.BREAK_GLASS_OPENED, P + "\"type\":\"BREAK_GLASS_OPENED\",\"intent_id\":\"bg-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"grant_id\":\"bg-1\",\"opened_by\":\"riya\",\"roles\":[\"incident_commander\"],\"credential\":\"personal token\",\"mfa\":\"totp\""
                + ",\"reason\":\"INC-4711: checkout down\",\"actions\":[\"scale_*\"],\"uses\":2,\"expires_at\":\"2026-11-24T10:45:30Z\",\"policy_version\":\"4b7f21\"}}");
        m.put(AuditEventType.BREAK_GLASS_USED, P + "\"type\":\"BREAK_GLASS_USED\",\"intent_id\":\"i-7\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"grant_id\":\"bg-1\",\"effect\":\"approve\",\"overrode\":[\"scale\"],\"uses_left\":1}}");
        m.put(AuditEventType.BREAK_GLASS_REVIEWED, P + "\"type\":\"BREAK_GLASS_REVIEWED\",\"intent_id\":\"bg-1\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"grant_id\":\"bg-1\",\"reviewer\":\"sam\",\"credential\":\"console sign-in\",\"verdict\":\"ok\",\"comment\":\"needed during INC-4711\"}}");
        m.put(AuditEventType.ROLLBACK_TRIGGERED, P + "\"type\":\"ROLLBACK_TRIGGERED\",\"intent_id\":\"i-7\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"trigger\":\"signal.error_rate > 0.05\",\"signals\":[\"signal.error_rate=0.07\"],\"rollback_action\":\"scale_back\",\"rollback_intent_id\":\"i-8\",\"error\":null}}");
        m.put(AuditEventType.WITNESS_REFUSED, P + "\"type\":\"WITNESS_REFUSED\",\"intent_id\":\"audit-log\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"witness\":\"http://10.0.0.5:8443\",\"status\":409,\"refusal\":\"fork\",\"tree_size\":12,\"witnessed_size\":12"
                + ",\"reason\":\"fork: a checkpoint of 12 entries with another root than the witnessed one\"}}");
        m.put(AuditEventType.FLEET_ANSWER, P + "\"type\":\"FLEET_ANSWER\",\"intent_id\":\"i-9\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"request_id\":\"r-1\",\"status\":\"denied\",\"replica\":\"replica-b http://10.0.0.2:8443\",\"approved_by\":[],\"rule\":\"No DROP\",\"reason\":\"Dropping tables is never done by an agent.\"}}");
        m.put(AuditEventType.CALL_GRANTED, P + "\"type\":\"CALL_GRANTED\",\"intent_id\":\"i-10\",\"time\":\"2026-11-24T10:15:30.123456Z\""
                + ",\"fields\":{\"action\":\"read_logs\",\"resource\":\"prod/web\",\"agent\":\"ops-agent\",\"justification\":\"why \\\"5xx\\\"? caf\u00e9\""
                + ",\"urgency\":null,\"cost\":\"0.25\",\"rollback_plan\":null,\"args\":\"{\\\"lines\\\":100,\\\"service\\\":\\\"web\\\"}\""
                + ",\"args_digest\":\"5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9\",\"parent_intent_id\":\"i-9\""
                + ",\"tier\":\"T0\",\"effect\":\"allow\",\"rules\":[\"reads\"],\"policy_version\":\"9a1e0c\",\"required_approvals\":0"
                + ",\"required_roles\":[],\"mfa\":false,\"reason\":\"T0 because 'reads' matched\",\"deny_rules\":[]"
                + ",\"signals\":[\"signal.error_rate=0.01\"],\"window_spend\":[\"100 sum(args.lines, 1h)\"]}}");
        return m;
    }

    @Test
    void everyEventTypeEncodesToItsRecordedBytes() {
        Map<AuditEventType, AuditEvent> events = written();
        assertEquals(List.of(AuditEventType.values()), List.copyOf(events.keySet()), "one entry of each type");
        assertEquals(events.keySet(), GOLDEN.keySet());
        for (Map.Entry<AuditEventType, AuditEvent> e : events.entrySet()) {
            String bytes = new String(CanonicalEntry.encode(INDEX, PREV, e.getValue()), StandardCharsets.UTF_8);
            assertEquals(GOLDEN.get(e.getKey()), bytes, e.getKey().name());
        }
    }

    @Test
    void everyRecordedEntryDecodesBackToTheEventWritten() {
        Map<AuditEventType, AuditEvent> events = written();
        for (Map.Entry<AuditEventType, String> g : GOLDEN.entrySet()) {
            CanonicalEntry.Decoded d = CanonicalEntry.decode(g.getValue().getBytes(StandardCharsets.UTF_8));
            assertEquals(INDEX, d.index());
            assertEquals(HexFormat.of().formatHex(PREV), HexFormat.of().formatHex(d.prev()));
            assertEquals(CanonicalEntry.storedTime(T), d.event().time());
            assertEquals(events.get(g.getKey()).fields(), d.event().fields(), g.getKey().name());
            assertEquals(g.getKey(), d.event().type());
        }
    }
}
