package dev.magistrate.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line per intent, in the order they were submitted: when, what, at which tier, who approved
 * or denied it, the warrant it got, how it ended and how long the caller waited. The readable
 * story of a log; field names are those of docs/audit-events.md.
 */
public final class AuditTimeline {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final int REASON_CHARS = 90;

    /** One intent's story. {@code waited} runs from submission to the warrant or the denial. */
    public record Row(String intentId, String parentIntentId, Instant submitted, String action, String tier, String effect,
                      List<String> approvers, String deniedBy, String reason, String warrantId, String outcome, Duration waited) {
    }

    private AuditTimeline() {
    }

    public static List<Row> of(Path dir) {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) events.add(d.event());
        }
        return of(events);
    }

    public static List<Row> of(Iterable<AuditEvent> events) {
        Map<String, Builder> byIntent = new LinkedHashMap<>();
        for (AuditEvent e : events) {
            Builder b = byIntent.computeIfAbsent(e.intentId(), Builder::new);
            Map<String, Object> f = e.fields();
            switch (e.type()) {
                case INTENT_SUBMITTED -> {
                    b.submitted = e.time();
                    b.action = (String) f.get("action");
                    b.parent = (String) f.get("parent_intent_id");
                }
                case DECISION -> {
                    b.tier = (String) f.get("tier");
                    b.effect = (String) f.get("effect");
                    if ("deny".equals(b.effect)) b.outcome = "denied by policy";
                }
                case VOTE -> {
                    if (Boolean.TRUE.equals(f.get("accepted")) && "approve".equals(f.get("verdict"))) b.approvers.add((String) f.get("approver"));
                }
                case WARRANT_ISSUED -> {
                    b.warrantId = (String) f.get("warrant_id");
                    b.decided = e.time();
                    b.outcome = "granted";
                }
                case INTENT_DENIED -> {
                    b.decided = e.time();
                    b.deniedBy = (String) f.get("by");
                    b.reason = (String) f.get("reason");
                    String stage = (String) f.get("stage");
                    b.outcome = "policy".equals(stage) ? "denied by policy" : "approval".equals(stage) ? "denied by approver"
                            : "denied (" + stage + ")";
                }
                case INTENT_TIMED_OUT -> {
                    b.decided = e.time();
                    b.outcome = "timed out";
                    b.reason = (String) f.get("reason");
                }
                case WARRANT_REJECTED -> {
                    b.outcome = "warrant refused";
                    b.reason = (String) f.get("reason");
                }
                case EXECUTION_COMPLETED -> b.outcome = "ran";
                case EXECUTION_FAILED -> b.outcome = "ran, threw " + f.get("exception");
                default -> {
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Builder b : byIntent.values()) {
            if (b.submitted == null) continue; // entries whose submission was pruned by retention
            Duration waited = b.decided == null ? null : Duration.between(b.submitted, b.decided);
            rows.add(new Row(b.id, b.parent, b.submitted, b.action, b.tier, b.effect, List.copyOf(b.approvers), b.deniedBy, b.reason,
                    b.warrantId, b.outcome, waited));
        }
        return rows;
    }

    /** The rows as aligned text, one line per intent and an indented line for a denial's reason. */
    public static String toText(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-12s  %-24s %-4s %-18s %-16s %-10s %s%n", "time (UTC)", "action", "tier", "outcome", "approved by",
                "waited", "warrant"));
        for (Row r : rows) {
            String who = r.approvers().isEmpty() ? (r.deniedBy() != null ? "(" + r.deniedBy() + ")" : "-") : String.join(", ", r.approvers());
            String waited = r.waited() == null ? "-" : r.waited().toMillis() + " ms";
            sb.append(String.format("%-12s  %-24s %-4s %-18s %-16s %-10s %s%n", CLOCK.format(r.submitted()),
                    (r.parentIntentId() != null ? "  " : "") + r.action(), r.tier() == null ? "-" : r.tier(),
                    r.outcome() == null ? "pending" : r.outcome(), who, waited, r.warrantId() == null ? "-" : r.warrantId()));
            if (r.reason() != null && r.outcome() != null && !r.outcome().equals("ran")) {
                String reason = r.reason().length() > REASON_CHARS ? r.reason().substring(0, REASON_CHARS) + "..." : r.reason();
                sb.append("              ").append(reason).append('\n');
            }
        }
        return sb.toString();
    }

    private static final class Builder {
        final String id;
        Instant submitted;
        Instant decided;
        String action;
        String parent;
        String tier;
        String effect;
        final List<String> approvers = new ArrayList<>();
        String deniedBy;
        String reason;
        String warrantId;
        String outcome;

        Builder(String id) {
            this.id = id;
        }
    }
}
