package dev.magistrate.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A summary of the log: intents by action, decisions by tier, intents by outcome, denials by rule,
 * and approval latency (APPROVAL_REQUESTED to the intent's WARRANT_ISSUED, INTENT_DENIED or
 * INTENT_TIMED_OUT) as nearest-rank p50 / p95 / max, read through the typed events of {@link AuditPayload}
 * (docs/audit-events.md says how each is counted).
 */
public record AuditReport(long entries, Map<String, Long> intentsByAction, Map<String, Long> decisionsByTier,
                          Map<String, Long> intentsByOutcome, Map<String, Long> denialsByRule, int approvalsMeasured,
                          Duration approvalP50, Duration approvalP95, Duration approvalMax) {

    /** Reads the whole log in {@code dir}. */
    public static AuditReport of(Path dir) {
        Builder b = new Builder();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) b.add(d.event(), d.payload());
        }
        return b.build();
    }

    /** Builds a report from events in log order. */
    public static AuditReport of(Iterable<AuditEvent> events) {
        Builder b = new Builder();
        for (AuditEvent e : events) b.add(e, e.payload());
        return b.build();
    }

    private static final class Builder {
        long entries;
        final Map<String, String> actionOf = new HashMap<>();
        final Map<String, String> outcomeOf = new HashMap<>();
        final Map<String, Long> byTier = new TreeMap<>();
        final Map<String, Long> denials = new TreeMap<>();
        final Map<String, Instant> approvalStart = new HashMap<>();
        final List<Duration> latencies = new ArrayList<>();
        final List<String> intentOrder = new ArrayList<>();

        void add(AuditEvent e, AuditPayload payload) {
            entries++;
            for (AuditPayload step : payload.steps()) step(e, step);
        }

        private void step(AuditEvent e, AuditPayload payload) {
            String id = e.intentId();
            if (payload instanceof AuditPayload.IntentSubmitted s) {
                if (actionOf.put(id, orNone(s.action())) == null) intentOrder.add(id);
                outcomeOf.putIfAbsent(id, "pending");
            } else if (payload instanceof AuditPayload.Decision d) {
                byTier.merge(orNone(d.tier()), 1L, Long::sum);
                if ("deny".equals(d.effect())) {
                    List<String> denying = d.denyingRules();
                    if (denying.isEmpty()) denials.merge("(default deny)", 1L, Long::sum);
                    for (String r : denying) denials.merge(r, 1L, Long::sum);
                } else if ("allow".equals(d.effect())) {
                    outcomeOf.put(id, "approved"); // a T0 grant: the decision is the approval (a warrant, when one follows, says the same)
                }
            } else if (payload instanceof AuditPayload.ApprovalRequested) {
                approvalStart.putIfAbsent(id, e.time());
            } else if (payload instanceof AuditPayload.WarrantIssued) {
                terminal(id, "approved", e.time());
            } else if (payload instanceof AuditPayload.IntentDenied) {
                terminal(id, "denied", e.time());
            } else if (payload instanceof AuditPayload.IntentTimedOut) {
                terminal(id, "timed_out", e.time());
            } else if (payload instanceof AuditPayload.IntentAbandoned) {
                outcomeOf.put(id, "abandoned"); // not an approval latency: nobody decided
                approvalStart.remove(id);
            } else if (payload instanceof AuditPayload.WarrantRejected) {
                outcomeOf.put(id, "warrant_rejected");
            } else if (payload instanceof AuditPayload.ExecutionCompleted) {
                outcomeOf.put(id, "completed");
            } else if (payload instanceof AuditPayload.ExecutionFailed) {
                outcomeOf.put(id, "failed");
            }
            // VOTE, WARRANT_VERIFIED, EXECUTION_STARTED: not counted on their own
        }

        void terminal(String id, String outcome, Instant at) {
            outcomeOf.put(id, outcome);
            Instant start = approvalStart.remove(id);
            if (start != null) latencies.add(Duration.between(start, at));
        }

        AuditReport build() {
            Map<String, Long> byAction = new TreeMap<>();
            for (String id : intentOrder) byAction.merge(actionOf.get(id), 1L, Long::sum);
            Map<String, Long> byOutcome = new TreeMap<>();
            for (String outcome : outcomeOf.values()) byOutcome.merge(outcome, 1L, Long::sum);
            Collections.sort(latencies);
            return new AuditReport(entries, Collections.unmodifiableMap(byAction), Collections.unmodifiableMap(byTier),
                    Collections.unmodifiableMap(byOutcome), Collections.unmodifiableMap(denials), latencies.size(),
                    rank(latencies, 50), rank(latencies, 95), latencies.isEmpty() ? null : latencies.get(latencies.size() - 1));
        }

        private static String orNone(String value) {
            return value == null ? "(none)" : value;
        }

        /** Nearest-rank percentile; null when nothing was measured. */
        private static Duration rank(List<Duration> sorted, int percentile) {
            if (sorted.isEmpty()) return null;
            int rank = (int) Math.ceil(percentile / 100.0 * sorted.size());
            return sorted.get(Math.max(0, rank - 1));
        }
    }

    /** A plain-text rendering for people. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("entries: ").append(entries).append('\n');
        section(sb, "intents by action", intentsByAction);
        section(sb, "decisions by tier", decisionsByTier);
        section(sb, "intents by outcome", intentsByOutcome);
        section(sb, "denials by rule", denialsByRule);
        sb.append("approval latency (").append(approvalsMeasured).append(" approvals): ");
        if (approvalsMeasured == 0) sb.append("none measured\n");
        else sb.append("p50 ").append(approvalP50.toMillis()).append(" ms, p95 ").append(approvalP95.toMillis())
                .append(" ms, max ").append(approvalMax.toMillis()).append(" ms\n");
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, Map<String, Long> counts) {
        sb.append(title).append(":\n");
        if (counts.isEmpty()) sb.append("  (none)\n");
        counts.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
    }
}
