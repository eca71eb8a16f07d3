package dev.magistrate.spring;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.governor.NeedsInformationException;
import dev.magistrate.intent.ArgumentSnapshots;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Governs one call of a bean method, as the agent's advice does: an intent from the call (on a
 * snapshot of its arguments), admitted by the engine (decided, approved, warrant verified, all
 * audited), the body run on the approved values, its outcome recorded. A denial throws
 * {@link CallDeniedException} ({@link CallNeedsInformationException} when an approver asked a question), or is
 * returned as the result for text tools in {@code magistrate.fallback.actions}. Governed calls made
 * inside a governed call get their own intents, linked by parent id.
 */
final class GovernedMethodInterceptor implements MethodInterceptor {

    private static final Log LOG = LogFactory.getLog(GovernedMethodInterceptor.class);
    private static final ThreadLocal<ArrayDeque<String>> OPEN_INTENTS = ThreadLocal.withInitial(ArrayDeque::new);

    private final GovernedMethods methods;
    // Resolved at the first call: advisors are created before the beans they advise, the engine need not be.
    private final ObjectProvider<Magistrate> magistrate;
    private final ObjectProvider<GovernanceMetrics> metrics;

    GovernedMethodInterceptor(GovernedMethods methods, ObjectProvider<Magistrate> magistrate, ObjectProvider<GovernanceMetrics> metrics) {
        this.methods = methods;
        this.magistrate = magistrate;
        this.metrics = metrics;
    }

    @Override
    public Object invoke(MethodInvocation call) throws Throwable {
        GovernedMethod g = methods.find(call.getMethod(), call.getThis() == null ? null : AopUtils.getTargetClass(call.getThis()));
        if (g == null) return call.proceed();
        GovernanceMetrics meters = metrics.getIfAvailable(() -> GovernanceMetrics.NONE);
        if (!meters.enabled()) meters = GovernanceMetrics.NONE;
        if (g.refusal() != null) {
            return deny(g, meters, "refused", "DENIED: '" + g.action() + "' was not allowed because " + g.refusal() + ". Do not retry.");
        }
        // Decide on a snapshot: what the policy sees, the warrant binds and the body receives is one set of values.
        Object[] args = call.getArguments();
        for (int i = 0; i < args.length; i++) {
            try {
                args[i] = ArgumentSnapshots.snapshot(args[i]);
            } catch (IllegalArgumentException | StackOverflowError e) {
                return deny(g, meters, "refused", "DENIED: '" + g.action() + "' was not allowed because its argument '" + g.parameterNames()[i]
                        + "' cannot be governed: " + (e instanceof StackOverflowError ? "it nests too deeply" : e.getMessage()) + ". Pass immutable values.");
            }
        }
        Magistrate m = magistrate.getObject();
        Intent intent;
        try {
            intent = intent(m, g, args);
        } catch (RuntimeException e) {
            LOG.error("cannot build an intent for " + g, e);
            return deny(g, meters, "refused", "DENIED: '" + g.action() + "' was not allowed because Magistrate could not describe the call: "
                    + e.getMessage() + ". Denied to be safe.");
        }
        Decision decision = meters == GovernanceMetrics.NONE ? null : m.decide(intent); // side-effect free, for the meters only
        if (decision != null) meters.decided(g.action(), decision);
        boolean waits = decision != null && decision.effect() == Effect.APPROVE;
        long asked = System.nanoTime();
        Execution run;
        try {
            run = m.admit(intent);
        } catch (NeedsInformationException e) {
            if (waits) meters.approvalWait(g.action(), System.nanoTime() - asked, false);
            meters.denied(g.action(), "needs_information");
            if (g.fallbackToMessage()) return e.getMessage();
            throw new CallNeedsInformationException(e.getMessage(), e.question(), e.askedBy(), e.intentId());
        } catch (DeniedException e) {
            if (waits) meters.approvalWait(g.action(), System.nanoTime() - asked, false);
            return deny(g, meters, e.stage().name().toLowerCase(Locale.ROOT), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("governing " + g + " failed", e);
            return deny(g, meters, "refused", "DENIED: '" + g.action() + "' was not allowed because governing it failed ("
                    + e.getClass().getSimpleName() + "). Denied to be safe. [intent " + intent.id() + "]");
        }
        if (waits) meters.approvalWait(g.action(), System.nanoTime() - asked, true);
        // The body runs on what was approved: an approver's edits replace the requested values.
        if (run.changedBy() != null) {
            for (int i = 0; i < args.length; i++) {
                if (run.changes().containsKey(g.parameterNames()[i])) args[i] = run.args().get(g.parameterNames()[i]);
            }
        }
        ArrayDeque<String> open = OPEN_INTENTS.get();
        open.push(intent.id());
        long started = System.nanoTime();
        Object result;
        try {
            result = call.proceed();
        } catch (Throwable t) {
            open.pop();
            meters.ran(g.action(), System.nanoTime() - started, false);
            record(intent, () -> run.failed(t));
            throw t;
        }
        open.pop();
        meters.ran(g.action(), System.nanoTime() - started, true);
        record(intent, () -> run.completed(result));
        return result;
    }

    private static Intent intent(Magistrate m, GovernedMethod g, Object[] args) {
        ArrayDeque<String> open = OPEN_INTENTS.get();
        Intent.Builder b = m.intent(g.action()).resource(g.resource()).parentIntentId(open.peek()).minimumTier(g.minimumTier());
        Map<String, Object> named = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) named.put(g.parameterNames()[i], args[i]);
        b.args(named);
        if (g.justificationIndex() >= 0) {
            Object j = args[g.justificationIndex()];
            b.justification(j == null ? null : String.valueOf(j));
        }
        if (g.costIndex() >= 0) b.estimatedCostFrom(args[g.costIndex()]);
        return b.build();
    }

    private static Object deny(GovernedMethod g, GovernanceMetrics meters, String stage, String message) {
        meters.denied(g.action(), stage);
        if (g.fallbackToMessage()) return message;
        throw new CallDeniedException(message);
    }

    /** The call already ran: an audit failure must not change what it returns or throws. */
    private static void record(Intent intent, Runnable outcome) {
        try {
            outcome.run();
        } catch (RuntimeException e) {
            LOG.error("could not record the outcome of intent " + intent.id(), e);
        }
    }
}
