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
 * story of a log, read through the typed events of {@link AuditPayload}.
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

    /** Reads the whole log in {@code dir}; an entry whose fields do not fit its type is a {@link MalformedAuditEventException} naming it. */
    public static List<Row> of(Path dir) {
        Map<String, Builder> byIntent = new LinkedHashMap<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) add(byIntent, d.event(), d.payload());
        }
        return rows(byIntent);
    }

    /** The timeline of events in log order. */
    public static List<Row> of(Iterable<AuditEvent> events) {
        Map<String, Builder> byIntent = new LinkedHashMap<>();
        for (AuditEvent e : events) add(byIntent, e, e.payload());
        return rows(byIntent);
    }

    private static void add(Map<String, Builder> byIntent, AuditEvent e, AuditPayload entry) {
        Builder b = byIntent.computeIfAbsent(e.intentId(), Builder::new);
        for (AuditPayload step : entry.steps()) step(b, e, step);
    }

    private static void step(Builder b, AuditEvent e, AuditPayload payload) {
        if (payload instanceof AuditPayload.IntentSubmitted s) {
            b.submitted = e.time();
            b.action = s.action();
            b.parent = s.parentIntentId();
        } else if (payload instanceof AuditPayload.Decision d) {
            b.tier = d.tier();
            b.effect = d.effect();
            if ("deny".equals(b.effect)) b.outcome = "denied by policy";
            if ("allow".equals(b.effect)) { // a T0 grant: decided here (a warrant, when one follows, moves it to its own time)
                b.decided = e.time();
                b.outcome = "granted";
            }
        } else if (payload instanceof AuditPayload.Vote v) {
            if (v.accepted() && "approve".equals(v.verdict())) b.approvers.add(v.approver());
        } else if (payload instanceof AuditPayload.WarrantIssued w) {
            b.warrantId = w.warrantId();
            b.decided = e.time();
            b.outcome = "granted";
        } else if (payload instanceof AuditPayload.IntentDenied d) {
            b.decided = e.time();
            b.deniedBy = d.by();
            b.reason = d.reason();
            String stage = d.stage();
            b.outcome = "policy".equals(stage) ? "denied by policy" : "approval".equals(stage) ? "denied by approver"
                    : "denied (" + stage + ")";
        } else if (payload instanceof AuditPayload.IntentTimedOut t) {
            b.decided = e.time();
            b.outcome = "timed out";
            b.reason = t.reason();
        } else if (payload instanceof AuditPayload.IntentAbandoned a) {
            b.decided = e.time();
            b.outcome = "abandoned";
            b.reason = a.reason();
        } else if (payload instanceof AuditPayload.WarrantRejected r) {
            b.outcome = "warrant refused";
            b.reason = r.reason();
        } else if (payload instanceof AuditPayload.ExecutionStarted) {
            // Until its outcome is recorded; if the process ended first, no one knows whether the call finished.
            b.outcome = "started, no outcome recorded";
        } else if (payload instanceof AuditPayload.ArgumentsEdited a) {
            b.approvers.removeAll(a.discardedApprovals()); // approvals of the earlier values no longer count
            b.reason = "approved with changes by " + a.by() + ": " + a.requestedArgs() + " -> " + a.approvedArgs();
        } else if (payload instanceof AuditPayload.InformationRequested q) {
            b.decided = e.time();
            b.outcome = "needs information";
            b.deniedBy = q.by();
            b.reason = q.question();
        } else if (payload instanceof AuditPayload.ExecutionCompleted) {
            b.outcome = b.reason != null ? "ran with changes" : "ran";
        } else if (payload instanceof AuditPayload.ExecutionFailed f) {
            b.outcome = "ran, threw " + f.exception();
        }
    }

    private static List<Row> rows(Map<String, Builder> byIntent) {
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
