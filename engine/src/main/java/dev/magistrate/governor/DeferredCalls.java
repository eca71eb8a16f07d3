package dev.magistrate.governor;

import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.intent.Intent;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Approve later ({@link Governor#admitOrDefer}): calls that wait for people without holding a thread. A deferred call is
 * found again by what it is (agent, action, argument digest): a chat application cannot keep the request thread for the
 * fifteen minutes an approval takes, so it returns "pending" to its user, and the same call made again after approvers
 * decided runs with the warrant issued meanwhile, exactly once. Nothing here outlives the process: a restart abandons the
 * waiting intents ({@link PendingAtRestart}).
 */
final class DeferredCalls {

    /** How long a decided call is remembered for the call made again (or for {@link #status}) before it is forgotten. */
    static final Duration KEEP_DECIDED = Duration.ofHours(24);

    private record Call(String agent, String action, String argsDigest) {
        static Call of(Intent i) {
            return new Call(i.agent(), i.action(), i.argsDigest());
        }
    }

    /** {@code made}: what the call made again came to: null until then, else "ran" or the refusal it met. */
    private record Deferred(Intent intent, String waitingFor, CompletableFuture<Authorization> result, AtomicReference<String> made) {
    }

    private static final String RAN = "ran";

    private final Governor governor;
    private final ConcurrentHashMap<Call, Deferred> byCall = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Deferred> byIntent = new ConcurrentHashMap<>();

    DeferredCalls(Governor governor) {
        this.governor = governor;
    }

    Execution admit(Intent intent) {
        Call call = Call.of(intent);
        Deferred earlier = byCall.get(call);
        if (earlier != null) {
            if (!earlier.result().isDone()) throw pending(earlier);
            // Decided: exactly one call made again takes it (a concurrent twin sees it gone and starts afresh).
            if (byCall.remove(call, earlier)) {
                Authorization a = join(earlier.result(), earlier.intent());
                try {
                    Execution run = governor.admitted(earlier.intent(), a);
                    earlier.made().set(RAN);
                    return run;
                } catch (DeniedException refused) { // rechecked, or the warrant expired meanwhile
                    earlier.made().set(refused.getMessage());
                    throw refused;
                }
            }
        }
        CompletableFuture<Authorization> result = governor.submit(intent, true);
        if (result.isDone()) return governor.admitted(intent, join(result, intent)); // allowed or denied outright
        ApprovalRequest request = governor.waitingRequest(intent.id());
        Deferred d = new Deferred(intent, describe(request), result, new AtomicReference<>());
        byIntent.put(intent.id(), d);
        byCall.putIfAbsent(call, d); // an identical call submitted at the same moment stays reachable by its own id
        result.whenComplete((granted, denied) -> {
            try {
                governor.timer().schedule(() -> {
                    byCall.remove(call, d);
                    byIntent.remove(intent.id(), d);
                }, KEEP_DECIDED.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // the governor is closing: everything it held goes with it
            }
        });
        throw pending(d);
    }

    private Authorization join(CompletableFuture<Authorization> f, Intent intent) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw governor.unwrap(e.getCause(), intent);
        }
    }

    private static ApprovalPendingException pending(Deferred d) {
        return new ApprovalPendingException(d.intent().id(), d.intent().action(), d.waitingFor());
    }

    private static String describe(ApprovalRequest r) {
        if (r == null) return "approvers are deciding";
        return r.decision().tier() + ", " + r.requiredApprovals() + " approval" + (r.requiredApprovals() == 1 ? "" : "s")
                + (r.requiredRoles().isEmpty() ? "" : " (roles " + String.join(", ", r.requiredRoles()) + ")") + ", deadline " + r.deadline();
    }

    ApprovalStatus status(String intentId) {
        Deferred d = byIntent.get(intentId);
        if (d == null) return new ApprovalStatus(intentId, ApprovalStatus.State.UNKNOWN, null);
        if (!d.result().isDone()) return new ApprovalStatus(intentId, ApprovalStatus.State.PENDING, d.waitingFor());
        String made = d.made().get();
        if (RAN.equals(made)) return new ApprovalStatus(intentId, ApprovalStatus.State.RAN, null);
        if (made != null) return new ApprovalStatus(intentId, ApprovalStatus.State.DENIED, made);
        try {
            d.result().join();
            return new ApprovalStatus(intentId, ApprovalStatus.State.APPROVED, null);
        } catch (CompletionException e) {
            Throwable t = e.getCause();
            if (t instanceof NeedsInformationException q) return new ApprovalStatus(intentId, ApprovalStatus.State.NEEDS_INFORMATION, q.question());
            return new ApprovalStatus(intentId, ApprovalStatus.State.DENIED, t.getMessage());
        }
    }

    CompletableFuture<ApprovalStatus> whenDecided(String intentId) {
        Deferred d = byIntent.get(intentId);
        if (d == null) return CompletableFuture.completedFuture(status(intentId));
        return d.result().handle((granted, denied) -> status(intentId));
    }
}
