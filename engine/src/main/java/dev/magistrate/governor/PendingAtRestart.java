package dev.magistrate.governor;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.intent.Intent;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.Tier;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The intents that waited for approval when the process stopped, found on start by reading the audit trail: an
 * {@code APPROVAL_REQUESTED} with no outcome after it. Their callers are gone with the process, so they can never run;
 * {@link Governor#abandon} records each as {@code INTENT_ABANDONED}. Only intents still in flight are held while reading,
 * so memory follows the calls that were open, not the length of the log.
 */
public final class PendingAtRestart {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /**
     * One abandoned intent: its id, the call's agent, action and recorded argument digest (to link a call made again),
     * and the request as approvers saw it, rebuilt from the audit entries (null when they cannot be rebuilt).
     */
    public record Waiting(String intentId, String agent, String action, String argsDigest, Instant requestedAt, ApprovalRequest request) {
    }

    private PendingAtRestart() {
    }

    private static final class InFlight {
        AuditPayload.IntentSubmitted submitted;
        Instant submittedAt;
        AuditPayload.Decision decision;
        AuditPayload.ApprovalRequested requested;
        Instant requestedAt;
    }

    /**
     * The types {@link #track} reads. Not {@code CALL_GRANTED}: a call granted in one entry was decided {@code allow} in it,
     * so it never waits and leaves nothing open, and skipping it undecoded is most of what a T0-heavy trail saves.
     */
    private static final Set<AuditEventType> TRACKED = EnumSet.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION,
            AuditEventType.APPROVAL_REQUESTED, AuditEventType.WARRANT_ISSUED, AuditEventType.INTENT_DENIED,
            AuditEventType.INTENT_TIMED_OUT, AuditEventType.INFORMATION_REQUESTED, AuditEventType.INTENT_ABANDONED);

    /** Reads the whole log in {@code auditDir} (read-only; a directory without a log has nothing pending). */
    public static List<Waiting> find(Path auditDir) {
        return find(auditDir, type -> false, null);
    }

    /**
     * As {@link #find(Path)}, in the same pass handing {@code alongside} the entries of the types {@code alongsideWants}
     * (when not null): the engine reads its trail once when it opens, for this, the windows' counters and the break-glass
     * grants. Entries that no one wants are skipped undecoded.
     */
    static List<Waiting> find(Path auditDir, Predicate<AuditEventType> alongsideWants, Consumer<CanonicalEntry.Decoded> alongside) {
        Map<String, InFlight> open = new LinkedHashMap<>();
        Predicate<AuditEventType> wanted = alongside == null ? TRACKED::contains : type -> TRACKED.contains(type) || alongsideWants.test(type);
        try (AuditLogReader reader = AuditLogReader.open(auditDir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry(wanted)) != null) {
                if (alongside != null) alongside.accept(d); // each consumer reads its own types from what it is given
                track(open, d);
            }
        }
        List<Waiting> waiting = new ArrayList<>();
        open.forEach((id, f) -> {
            // Submitted but never sent to approvers: the process stopped mid-decision; nobody waits for it.
            if (f.requested == null || f.submitted == null) return;
            waiting.add(new Waiting(id, f.submitted.agent(), f.submitted.action(), f.submitted.argsDigest(), f.requestedAt, request(id, f)));
        });
        return waiting;
    }

    private static void track(Map<String, InFlight> open, CanonicalEntry.Decoded d) {
        for (AuditPayload step : d.payload().steps()) track(open, d.event(), step);
    }

    private static void track(Map<String, InFlight> open, AuditEvent e, AuditPayload p) {
        if (p instanceof AuditPayload.IntentSubmitted s) {
            InFlight f = open.computeIfAbsent(e.intentId(), id -> new InFlight());
            f.submitted = s;
            f.submittedAt = e.time();
        } else if (p instanceof AuditPayload.Decision x) {
            InFlight f = open.get(e.intentId());
            if ("allow".equals(x.effect())) open.remove(e.intentId()); // a T0 grant: it never waits (and no warrant entry follows)
            else if (f != null) f.decision = x;
        } else if (p instanceof AuditPayload.ApprovalRequested a) {
            InFlight f = open.get(e.intentId());
            if (f != null) {
                f.requested = a;
                f.requestedAt = e.time();
            }
        } else if (p instanceof AuditPayload.WarrantIssued || p instanceof AuditPayload.IntentDenied
                || p instanceof AuditPayload.IntentTimedOut || p instanceof AuditPayload.InformationRequested
                || p instanceof AuditPayload.IntentAbandoned) {
            open.remove(e.intentId());
        }
    }

    /** The request as approvers saw it, for the console's history; null when the recorded entries do not rebuild it. */
    private static ApprovalRequest request(String id, InFlight f) {
        try {
            AuditPayload.IntentSubmitted s = f.submitted;
            Map<String, Object> args = s.args() == null ? Map.of() : JSON.readValue(s.args(), new TypeReference<LinkedHashMap<String, Object>>() { });
            Intent intent = Intent.builder(s.action()).id(id).resource(s.resource()).agent(s.agent()).justification(s.justification())
                    .urgency(s.urgency()).estimatedCost(s.cost() == null ? null : new BigDecimal(s.cost())).rollbackPlan(s.rollbackPlan())
                    .parentIntentId(s.parentIntentId()).submittedAt(f.submittedAt).args(args).build();
            AuditPayload.Decision x = f.decision;
            Decision decision = new Decision(Effect.APPROVE, Tier.valueOf(x.tier()), x.rules(), (int) x.requiredApprovals(), x.requiredRoles(),
                    x.mfa(), Duration.ofMillis(f.requested.timeoutMs()), Duration.ZERO, Map.of(), x.policyVersion());
            return new ApprovalRequest(intent, decision, (int) f.requested.requiredApprovals(), f.requested.requiredRoles(), x.mfa(),
                    f.requestedAt.plusMillis(f.requested.timeoutMs()));
        } catch (Exception e) {
            MagistrateLog.warn(PendingAtRestart.class, "intent " + id + " waited for approval when the process stopped, but its request"
                    + " cannot be rebuilt for display; it is abandoned all the same", e);
            return null;
        }
    }
}
