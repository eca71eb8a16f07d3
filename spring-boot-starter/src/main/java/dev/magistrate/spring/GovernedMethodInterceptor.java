package dev.magistrate.spring;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.ToolCalls;
import dev.magistrate.engine.ToolMethod;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;

import java.util.ArrayDeque;

/**
 * Governs one call of a bean method, as the agent's advice does: an intent from the call (on a
 * snapshot of its arguments), admitted by the engine (decided, approved, warrant verified, all
 * audited), the body run on the approved values, its outcome recorded. A denial throws
 * {@link CallDeniedException} ({@link CallNeedsInformationException} when an approver asked a question), or is
 * returned as the result for text tools in {@code magistrate.fallback.actions}; actions in {@code magistrate.defer.actions}
 * approve later. Governed calls made inside a governed call get their own intents, linked by parent id. The call itself is
 * {@link ToolCalls}'s, the same as under the agent.
 */
final class GovernedMethodInterceptor implements MethodInterceptor {

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
        ToolMethod g = methods.find(call.getMethod(), call.getThis() == null ? null : AopUtils.getTargetClass(call.getThis()));
        if (g == null) return call.proceed();
        GovernanceMetrics meters = metrics.getIfAvailable(() -> GovernanceMetrics.NONE);
        if (!meters.enabled()) meters = GovernanceMetrics.NONE;
        Magistrate m = magistrate.getObject();
        Object[] args = call.getArguments(); // replaced in place: snapshots, then an approver's edits
        GovernanceMetrics meter = meters;
        boolean[] waits = new boolean[1];
        long asked = System.nanoTime();
        // The proxy, not the bean behind it: the tool's rollback is called on it, so that the proxy governs that call too.
        Object target = call instanceof ProxyMethodInvocation p ? p.getProxy() : call.getThis();
        ToolCalls.Admission admission = ToolCalls.admit(m, null, g, target, args, OPEN_INTENTS.get().peek(), meter == GovernanceMetrics.NONE ? null : intent -> {
            Decision decision = m.decide(intent); // side-effect free, for the meters only
            meter.decided(g.action(), decision);
            waits[0] = decision.effect() == Effect.APPROVE && !g.deferred();
        });
        if (admission instanceof ToolCalls.Stopped stopped) {
            if (waits[0]) meters.approvalWait(g.action(), System.nanoTime() - asked, false);
            meters.denied(g.action(), stopped.stage());
            return stopped.returnOrThrow();
        }
        if (waits[0]) meters.approvalWait(g.action(), System.nanoTime() - asked, true);
        ToolCalls.Runs run = (ToolCalls.Runs) admission;
        ArrayDeque<String> open = OPEN_INTENTS.get();
        open.push(run.intent().id());
        long started = System.nanoTime();
        Object result;
        try {
            result = call.proceed();
        } catch (Throwable t) {
            open.pop();
            meters.ran(g.action(), System.nanoTime() - started, false);
            ToolCalls.ran(run, null, t);
            throw t;
        }
        open.pop();
        meters.ran(g.action(), System.nanoTime() - started, true);
        ToolCalls.ran(run, result, null);
        return result;
    }
}
