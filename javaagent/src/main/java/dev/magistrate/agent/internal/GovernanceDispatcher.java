package dev.magistrate.agent.internal;

import dev.magistrate.annotations.CallApprovalPendingException;
import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.bootstrap.IntentContext;
import dev.magistrate.bootstrap.MagistrateBridge;
import dev.magistrate.governor.ApprovalPendingException;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.governor.NeedsInformationException;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.intent.ArgumentSnapshots;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Tier;

import java.util.ArrayDeque;
import java.util.Map;

/**
 * What the bridge calls: turns a call into an intent, waits for the governor's warrant, verifies it
 * against the actual arguments, and afterwards confirms the outcome. Calls of governed methods from
 * inside governed methods get their own intents, linked to the outer one by parent id.
 */
record GovernanceDispatcher(GovernedMethods methods, Magistrate magistrate, String unavailable, ClassLoader agentLoader)
        implements MagistrateBridge.Dispatcher {

    private record Frame(String intentId, Execution execution) {
    }

    private static final ThreadLocal<ArrayDeque<Frame>> FRAMES = ThreadLocal.withInitial(ArrayDeque::new);

    /**
     * {@code magistrate} is null when the engine could not start; {@code unavailable} then says why. A
     * record, so that its fields cannot be set by reflection from the application.
     */
    GovernanceDispatcher(GovernedMethods methods, Magistrate magistrate, String unavailable) {
        this(methods, magistrate, unavailable, GovernanceDispatcher.class.getClassLoader());
    }

    @Override
    public Object enter(int methodId, Object[] args) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Chronicle, Jackson and ServiceLoader look at the context loader: they must see the agent's classes.
        thread.setContextClassLoader(agentLoader);
        try {
            return govern(methodId, args);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private Object govern(int methodId, Object[] args) {
        GovernedMethod m = methods.get(methodId);
        if (m == null) throw new CallDeniedException("DENIED: Magistrate does not know this governed method (id " + methodId + ").");
        if (m.refusal() != null) return refuse(m, m.refusal());
        if (magistrate == null) {
            return deny(m, "DENIED: '" + m.action() + "' was not allowed because Magistrate could not start: " + unavailable
                    + ". Every governed call is denied until this is fixed.");
        }
        // Decide on a snapshot: what the policy sees, the warrant binds and the body receives is one set of values.
        for (int i = 0; i < args.length; i++) {
            try {
                args[i] = ArgumentSnapshots.snapshot(args[i]);
            } catch (IllegalArgumentException | StackOverflowError e) {
                String name = i < m.parameterNames().length ? m.parameterNames()[i] : "arg" + i;
                return refuse(m, "its argument '" + name + "' cannot be governed: "
                        + (e instanceof StackOverflowError ? "it nests too deeply" : e.getMessage()) + "; pass immutable values");
            }
        }
        Intent intent;
        try {
            Intent.Builder b = magistrate.intent(m.action()).resource(m.resource()).parentIntentId(parentIntentId())
                    .minimumTier(m.minimumTier() == null ? null : Tier.valueOf(m.minimumTier()));
            Map<String, Object> named = m.namedArguments(args);
            b.args(named);
            if (m.justificationIndex() >= 0) {
                Object j = args[m.justificationIndex()];
                b.justification(j == null ? null : String.valueOf(j));
            }
            if (m.costIndex() >= 0) b.estimatedCostFrom(args[m.costIndex()]);
            intent = b.build();
        } catch (RuntimeException e) {
            AgentLog.log(AgentLog.Level.ERROR, "cannot build an intent for " + m, e);
            return deny(m, "DENIED: '" + m.action() + "' was not allowed because Magistrate could not describe the call: "
                    + e.getMessage() + ". Denied to be safe.");
        }
        try {
            Execution execution = m.deferred() ? magistrate.admitOrDefer(intent) : magistrate.admit(intent);
            runWithApprovedValues(m, args, execution);
            FRAMES.get().push(new Frame(intent.id(), execution));
            IntentContext.opened(intent.id());
            return null;
        } catch (ApprovalPendingException e) {
            if (m.pendingAsMessage()) return e.getMessage();
            throw new CallApprovalPendingException(e.getMessage(), e.intentId());
        } catch (NeedsInformationException e) {
            if (m.fallbackToMessage()) return e.getMessage();
            throw new CallNeedsInformationException(e.getMessage(), e.question(), e.askedBy(), e.intentId());
        } catch (DeniedException e) {
            return deny(m, e.getMessage());
        } catch (RuntimeException e) {
            AgentLog.log(AgentLog.Level.ERROR, "governing " + m + " failed", e);
            return deny(m, "DENIED: '" + m.action() + "' was not allowed because governing it failed (" + e.getClass().getSimpleName()
                    + "). Denied to be safe. [intent " + intent.id() + "]");
        }
    }

    /**
     * An approver may have approved with changes: the warrant binds the edited values, so the body must receive them.
     * The engine gave each edited value the Java type of the value it replaces, so it fits the parameter as is.
     */
    private static void runWithApprovedValues(GovernedMethod m, Object[] args, Execution execution) {
        if (execution.changedBy() == null) return;
        String[] names = m.parameterNames();
        for (int i = 0; i < names.length && i < args.length; i++) {
            if (execution.changes().containsKey(names[i])) args[i] = execution.args().get(names[i]);
        }
    }

    /** A call that cannot be governed at all does not run; the engine, when there is one, audits it as submitted and denied. */
    private Object refuse(GovernedMethod m, String reason) {
        if (magistrate != null) {
            try {
                Intent intent = magistrate.intent(m.action()).resource(m.resource()).parentIntentId(parentIntentId()).build();
                return deny(m, magistrate.governor().refuse(intent, reason).getMessage());
            } catch (RuntimeException e) {
                AgentLog.log(AgentLog.Level.ERROR, "cannot record the refusal of " + m, e);
            }
        }
        return deny(m, "DENIED: '" + m.action() + "' was not allowed because " + reason + ". Do not retry.");
    }

    /** The innermost governed call open on this thread, else the one whose asynchronous work this thread runs. */
    private static String parentIntentId() {
        ArrayDeque<Frame> frames = FRAMES.get();
        return frames.isEmpty() ? IntentContext.inherited() : frames.peek().intentId();
    }

    @Override
    public String currentIntentId() {
        return parentIntentId();
    }

    private static Object deny(GovernedMethod m, String message) {
        if (m.fallbackToMessage()) return message;
        throw new CallDeniedException(message);
    }

    @Override
    public Object exit(Object returned, Throwable thrown) {
        ArrayDeque<Frame> frames = FRAMES.get();
        Frame f = frames.poll();
        if (f == null) return returned;
        IntentContext.closed(frames.isEmpty() ? null : frames.peek().intentId());
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(agentLoader);
        try {
            if (thrown != null) f.execution().failed(thrown);
            else f.execution().completed(returned);
        } catch (RuntimeException e) {
            // The call already ran; a failing audit must not change what it returns.
            AgentLog.log(AgentLog.Level.ERROR, "could not record the outcome of intent " + f.intentId(), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        return returned;
    }
}
