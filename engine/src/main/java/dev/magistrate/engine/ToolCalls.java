package dev.magistrate.engine;

import dev.magistrate.annotations.CallApprovalPendingException;
import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.governor.ApprovalPendingException;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.governor.NeedsInformationException;
import dev.magistrate.intent.ArgumentSnapshots;
import dev.magistrate.intent.Intent;
import dev.magistrate.log.MagistrateLog;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * One call of a governed method, the same way for every adapter (the agent's advice, the Spring starter's interceptor):
 * the arguments become immutable snapshots, an intent is built from them, the engine admits it (decided, approved,
 * warrant verified, all audited), and the body is to run on the approved values; or the call stops, with the denial
 * thrown as the {@link CallDeniedException} family applications catch, or returned as a text tool's result. A call that
 * cannot be governed at all is audited as denied ({@code ungovernable}) when there is an engine.
 */
public final class ToolCalls {

    private ToolCalls() {
    }

    /** What became of a call. */
    public sealed interface Admission permits Runs, Stopped {
    }

    /**
     * The body may run, on {@code args} as the caller's array now holds them; close {@code execution} with its outcome
     * ({@link #ran}). {@code target} is the object it runs on (its rollback runs there too), {@code rollbackOf} the intent
     * this call compensates, or null.
     */
    public record Runs(Intent intent, Execution execution, Magistrate magistrate, ToolMethod method, Object target, String rollbackOf)
            implements Admission {
    }

    /**
     * The call did not run. {@code stage} says where it stopped (a denial stage's wire name, {@code ungovernable},
     * {@code needs_information}, {@code pending}), for metrics; {@link #returnOrThrow} gives the caller its answer.
     */
    public record Stopped(String stage, Object result, RuntimeException error) implements Admission {
        /** The text tool's result, or the denial thrown. */
        public Object returnOrThrow() {
            if (error != null) throw error;
            return result;
        }
    }

    /**
     * Governs one call. {@code args} is replaced in place: first by snapshots (what the policy sees, the warrant binds and
     * the body receives is one set of values), then by an approver's edits. {@code magistrate} is null when the engine
     * could not start, {@code unavailable} then says why.
     */
    public static Admission admit(Magistrate magistrate, String unavailable, ToolMethod m, Object[] args, String parentIntentId) {
        return admit(magistrate, unavailable, m, null, args, parentIntentId, null);
    }

    /**
     * As above, for a call on {@code target} (null for a static method; a tool with a rollback needs it, since its compensating
     * method runs on the same object); {@code described} (may be null) sees the intent just before the engine admits it: for
     * metrics. A compensating call that the engine makes ({@link Rollbacks}) is governed here like any other, as the intent its
     * {@code ROLLBACK_TRIGGERED} entry named, linked to the original call, and it waits for approvers rather than deferring.
     */
    public static Admission admit(Magistrate magistrate, String unavailable, ToolMethod m, Object target, Object[] args, String parentIntentId,
                                  Consumer<Intent> described) {
        Rollbacks.Pending rollback = Rollbacks.claim(m);
        String id = null, justification = null;
        if (rollback != null) {
            id = rollback.intentId();
            parentIntentId = rollback.originalIntentId();
            justification = rollback.justification();
        }
        if (m.refusal() != null) return refuse(magistrate, m, id, parentIntentId, m.refusal());
        if (magistrate == null) {
            return stop(m, "ungovernable", "DENIED: '" + m.action() + "' was not allowed because Magistrate could not start: " + unavailable
                    + ". Every governed call is denied until this is fixed.");
        }
        for (int i = 0; i < args.length; i++) {
            try {
                args[i] = ArgumentSnapshots.snapshot(args[i]);
            } catch (IllegalArgumentException | StackOverflowError e) {
                String name = i < m.parameterNames().length ? m.parameterNames()[i] : "arg" + i;
                return refuse(magistrate, m, id, parentIntentId, "its argument '" + name + "' cannot be governed: "
                        + (e instanceof StackOverflowError ? "it nests too deeply" : e.getMessage()) + "; pass immutable values");
            }
        }
        Intent intent;
        try {
            Intent.Builder b = m.namedArguments(args, magistrate.intent(m.action()).resource(m.resource()).parentIntentId(parentIntentId)
                    .minimumTier(m.minimumTier()));
            if (m.justificationIndex() >= 0) {
                Object j = args[m.justificationIndex()];
                b.justification(j == null ? null : String.valueOf(j));
            }
            if (m.costIndex() >= 0) b.estimatedCostFrom(args[m.costIndex()]);
            if (rollback != null) b.id(id).justification(justification);
            intent = b.build();
        } catch (RuntimeException e) {
            MagistrateLog.error(ToolCalls.class, "cannot build an intent for " + m, e);
            return stop(m, "ungovernable", "DENIED: '" + m.action() + "' was not allowed because Magistrate could not describe the call: "
                    + e.getMessage() + ". Denied to be safe.");
        }
        if (described != null) described.accept(intent);
        Execution execution;
        try {
            execution = m.deferred() && rollback == null ? magistrate.admitOrDefer(intent) : magistrate.admit(intent);
        } catch (ApprovalPendingException e) {
            return new Stopped("pending", m.pendingAsMessage() ? e.getMessage() : null,
                    m.pendingAsMessage() ? null : new CallApprovalPendingException(e.getMessage(), e.intentId()));
        } catch (NeedsInformationException e) {
            return new Stopped("needs_information", m.fallbackToMessage() ? e.getMessage() : null, m.fallbackToMessage() ? null
                    : new CallNeedsInformationException(e.getMessage(), e.question(), e.askedBy(), e.intentId()));
        } catch (DeniedException e) {
            return stop(m, e.stage().name().toLowerCase(Locale.ROOT), e.getMessage());
        } catch (RuntimeException e) {
            MagistrateLog.error(ToolCalls.class, "governing " + m + " failed", e);
            return stop(m, "ungovernable", "DENIED: '" + m.action() + "' was not allowed because governing it failed ("
                    + e.getClass().getSimpleName() + "). Denied to be safe. [intent " + intent.id() + "]");
        }
        // An approver may have approved with changes: the warrant binds the edited values, so the body must receive them.
        // The engine gave each edited value the Java type of the value it replaces, so it fits the parameter as is.
        if (execution.changedBy() != null) {
            String[] names = m.parameterNames();
            for (int i = 0; i < names.length && i < args.length; i++) {
                if (execution.changes().containsKey(names[i])) args[i] = execution.args().get(names[i]);
            }
        }
        return new Runs(intent, execution, magistrate, m, target, rollback == null ? null : rollback.originalIntentId());
    }

    /**
     * Records the outcome of a call that ran, and hands it to the policy's rollbacks (which never hold this thread); an audit
     * failure must not change what it returns or throws.
     */
    public static void ran(Runs call, Object returned, Throwable thrown) {
        try {
            if (thrown != null) call.execution().failed(thrown);
            else call.execution().completed(returned);
        } catch (RuntimeException e) {
            MagistrateLog.error(ToolCalls.class, "could not record the outcome of intent " + call.intent().id(), e);
        }
        try {
            call.magistrate().rollbacks().ran(call, returned, thrown);
        } catch (RuntimeException e) {
            MagistrateLog.error(ToolCalls.class, "could not look for a rollback of intent " + call.intent().id(), e);
        }
    }

    /** A call that cannot be governed at all does not run; the engine, when there is one, audits it as submitted and denied. */
    private static Stopped refuse(Magistrate magistrate, ToolMethod m, String id, String parentIntentId, String reason) {
        if (magistrate != null) {
            try {
                Intent intent = magistrate.intent(m.action()).id(id).resource(m.resource()).parentIntentId(parentIntentId).build();
                return stop(m, "ungovernable", magistrate.governor().refuse(intent, reason).getMessage());
            } catch (RuntimeException e) {
                MagistrateLog.error(ToolCalls.class, "cannot record the refusal of " + m, e);
            }
        }
        return stop(m, "ungovernable", "DENIED: '" + m.action() + "' was not allowed because " + reason + ". Do not retry.");
    }

    private static Stopped stop(ToolMethod m, String stage, String message) {
        return m.fallbackToMessage() ? new Stopped(stage, message, null) : new Stopped(stage, null, new CallDeniedException(message));
    }
}
