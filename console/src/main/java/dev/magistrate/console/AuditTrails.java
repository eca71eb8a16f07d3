package dev.magistrate.console;

import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.log.MagistrateLog;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The audit timeline of the intents the console shows in its history: requested, decided, votes, warrant, outcome, each
 * with its entry's index in the log (what {@code magistrate audit prove DIR --entry I} takes). Reads the log on disk
 * read-only and incrementally: each look continues where the last stopped, keeping only the entries of intents the
 * console holds ({@code wanted}), at most {@link #MAX_INTENTS}.
 */
final class AuditTrails implements AutoCloseable {

    static final int MAX_INTENTS = 1_000;
    static final int MAX_STEPS = 100;

    /** One audit entry of an intent, as a line of its timeline. */
    record Step(long index, Instant at, String what) {
    }

    private final Path dir;
    private AuditLogReader reader;
    private boolean readAny;
    private final Map<String, List<Step>> byIntent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Step>> eldest) {
            return size() > MAX_INTENTS;
        }
    };

    /** {@code dir}: the audit directory, or null when the log is not on disk (then every timeline is empty). */
    AuditTrails(Path dir) {
        this.dir = dir;
    }

    Path directory() {
        return dir;
    }

    /** The steps of this intent recorded so far. */
    synchronized List<Step> of(String intentId, Predicate<String> wanted) {
        if (dir == null) return List.of();
        try {
            catchUp(wanted);
        } catch (RuntimeException e) {
            MagistrateLog.warn(AuditTrails.class, "the console could not read the audit log in " + dir + " for its history", e);
            close(); // start again from the beginning next time
            byIntent.clear();
            readAny = false;
        }
        List<Step> steps = byIntent.get(intentId);
        return steps == null ? List.of() : List.copyOf(steps);
    }

    private void catchUp(Predicate<String> wanted) {
        if (reader == null) reader = AuditLogReader.open(dir);
        CanonicalEntry.Decoded d;
        while ((d = reader.nextEntry()) != null) {
            readAny = true;
            String intent = d.event().intentId();
            if (!wanted.test(intent)) continue;
            List<Step> steps = byIntent.computeIfAbsent(intent, k -> new ArrayList<>());
            if (steps.size() < MAX_STEPS) steps.add(new Step(d.index(), d.event().time(), describe(d)));
        }
        if (!readAny) { // opened before the queue existed: look again next time
            reader.close();
            reader = null;
        }
    }

    private static String describe(CanonicalEntry.Decoded d) {
        AuditPayload p;
        try {
            p = d.payload();
        } catch (RuntimeException malformed) {
            return d.event().type().name().toLowerCase() + " (unreadable: run audit verify)";
        }
        List<AuditPayload> steps = p.steps();
        if (steps.size() > 1) { // a T0 grant's CALL_GRANTED: each step it records, as its own entry would read
            List<String> parts = new ArrayList<>();
            for (AuditPayload step : steps) parts.add(describe(d, step));
            return String.join("; ", parts);
        }
        return describe(d, p);
    }

    private static String describe(CanonicalEntry.Decoded d, AuditPayload p) {
        if (p instanceof AuditPayload.IntentSubmitted s) return "requested by " + s.agent() + ": " + s.action();
        if (p instanceof AuditPayload.Decision x) return "policy: " + x.effect() + " at " + x.tier() + (x.rules().isEmpty() ? "" : " (" + String.join(", ", x.rules()) + ")")
                + (x.signals() == null ? "" : ", having read " + String.join(", ", x.signals()));
        if (p instanceof AuditPayload.ShadowDecision x) return "shadow policy (" + x.source() + ") would have: "
                + (x.error() != null ? "failed: " + x.error() : x.effect() + " at " + x.tier() + (x.rules().isEmpty() ? "" : " (" + String.join(", ", x.rules()) + ")"));
        if (p instanceof AuditPayload.ApprovalRequested a) return "sent to " + a.backend() + " for " + a.requiredApprovals() + " approval(s)"
                + (a.requiredRoles().isEmpty() ? "" : " by " + String.join(", ", a.requiredRoles()));
        if (p instanceof AuditPayload.Vote v) return v.verdict() + " by " + v.approver() + (v.comment() != null ? ": " + v.comment() : "")
                + (v.accepted() ? "" : " (not counted: " + v.rejection() + ")");
        if (p instanceof AuditPayload.ArgumentsEdited x) return "changed by " + x.by() + ": requested " + x.requestedArgs() + ", approved " + x.approvedArgs();
        if (p instanceof AuditPayload.InformationRequested x) return "needs information: " + x.by() + " asked \"" + x.question() + "\"";
        if (p instanceof AuditPayload.WarrantIssued w) return "warrant " + w.warrantId() + " issued, approved by " + String.join(", ", w.approvedBy());
        if (p instanceof AuditPayload.IntentDenied x) return "denied by " + x.by() + ": " + x.reason();
        if (p instanceof AuditPayload.IntentTimedOut t) return "timed out: " + t.reason();
        if (p instanceof AuditPayload.IntentAbandoned a) return "abandoned: " + a.reason();
        if (p instanceof AuditPayload.WarrantVerified w) return "warrant " + w.warrantId() + " verified at the call";
        if (p instanceof AuditPayload.WarrantRejected w) return "warrant refused at the call: " + w.reason();
        if (p instanceof AuditPayload.ExecutionStarted) return "call started";
        if (p instanceof AuditPayload.ExecutionCompleted c) return "call completed in " + c.durationMs() + " ms" + (c.resultSummary() != null ? ": " + c.resultSummary() : "");
        if (p instanceof AuditPayload.ExecutionFailed f) return "call threw " + f.exception() + (f.message() != null ? ": " + f.message() : "");
        return d.event().type().name().toLowerCase() + " " + d.event().fields();
    }

    @Override
    public synchronized void close() {
        if (reader != null) reader.close();
        reader = null;
    }
}
