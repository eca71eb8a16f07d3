package dev.magistrate.engine;

import dev.magistrate.audit.AuditPayload;
import dev.magistrate.governor.Governor;
import dev.magistrate.intent.ArgumentSnapshots;
import dev.magistrate.intent.Intent;
import dev.magistrate.intent.TimeOrderedId;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.Rollback;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a tool's compensating method when the policy's {@code rollbacks:} say so: at once when the call threw
 * ({@code when: failed}), or when a condition over signals holds within {@code within} after the call succeeded (checked when
 * the call ends and whenever a signal changes). At most one rollback per call; a compensating call has none of its own.
 *
 * <p>The compensating call is made on Magistrate's own threads, never the caller's, by calling the method on the object the
 * original call ran on, through the adapter (the agent's advice, the Spring proxy): so it is governed like any call (decided
 * by the policy, approved where it asks, audited), as the intent {@code ROLLBACK_TRIGGERED} announces, with the original
 * call as its parent and a justification naming the trigger. Watches live in this process only: a restart ends them.
 */
final class Rollbacks implements AutoCloseable {

    /** A compensating call this thread is about to make: {@link ToolCalls} governs it as this intent. */
    record Pending(String action, String intentId, String originalIntentId, String justification) {
    }

    private static final ThreadLocal<Pending> MAKING = new ThreadLocal<>();

    /** A call that succeeded, watched until its conditions hold or their windows end. */
    private record Watch(ToolCalls.Runs call, Intent asRan, Object result, String resultProblem, List<Rollback> triggers, long endedAt) {
    }

    private final Governor governor;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor watcher;
    private final ExecutorService runner;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    Rollbacks(Governor governor, Clock clock) {
        this.governor = governor;
        this.clock = clock;
        this.watcher = new ScheduledThreadPoolExecutor(1, daemon("magistrate-rollback-watch"));
        watcher.setRemoveOnCancelPolicy(true);
        // Each compensating call on a thread of its own: one that waits for approvers holds up no other.
        this.runner = Executors.newCachedThreadPool(daemon("magistrate-rollback"));
        governor.signals().onChange(() -> {
            if (!watches.isEmpty()) submit(this::evaluateAll);
        });
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The compensating call this thread makes for {@code m}, taken once; null for any other call. */
    static Pending claim(ToolMethod m) {
        Pending p = MAKING.get();
        if (p == null || !p.action().equals(m.action())) return null;
        MAKING.remove();
        return p;
    }

    /** A governed call ended: the policy's rollbacks for its action decide whether it is rolled back, or watched. */
    void ran(ToolCalls.Runs call, Object returned, Throwable thrown) {
        if (call.rollbackOf() != null) return; // a compensating call is not compensated in turn
        List<Rollback> all = governor.policy().rollbacks();
        if (all.isEmpty()) return; // most policies: nothing to look at on the call's thread
        String action = call.intent().action();
        List<Rollback> applying = all.stream().filter(r -> r.trigger().appliesTo(action)).toList();
        if (applying.isEmpty()) return;
        if (thrown != null) {
            applying.stream().filter(r -> r.trigger().onFailure()).findFirst()
                    .ifPresent(r -> submit(() -> trigger(call, null, null, r.trigger().when(), List.of())));
            return;
        }
        List<Rollback> watched = applying.stream().filter(r -> !r.trigger().onFailure()).toList();
        if (watched.isEmpty()) return;
        Object result = null;
        String resultProblem = null;
        Compensation c = call.method().rollback();
        if (c != null && c.bindings().contains(Compensation.RESULT)) {
            try {
                result = ArgumentSnapshots.snapshot(returned); // held for the whole window: it must not change meanwhile
            } catch (IllegalArgumentException | StackOverflowError e) {
                resultProblem = "the result of " + action + " cannot be kept for its rollback: " + e.getMessage();
            }
        }
        long longest = watched.stream().mapToLong(r -> r.trigger().within().toMillis()).max().orElse(0);
        Intent asRan = call.execution().changedBy() == null ? call.intent() : call.intent().withArgs(call.execution().args());
        Watch w = new Watch(call, asRan, result, resultProblem, watched, clock.millis());
        watches.put(call.intent().id(), w);
        submit(() -> evaluate(w));
        try {
            watcher.schedule(() -> watches.remove(call.intent().id(), w), longest, TimeUnit.MILLISECONDS); // frees it; evaluate checks the clock
        } catch (RejectedExecutionException closed) {
            watches.remove(call.intent().id(), w);
        }
    }

    private void submit(Runnable work) {
        try {
            watcher.execute(work);
        } catch (RejectedExecutionException closed) {
            // closing: watches end with the process
        }
    }

    private void evaluateAll() {
        for (Watch w : watches.values()) evaluate(w);
    }

    private void evaluate(Watch w) {
        long now = clock.millis();
        boolean open = false;
        for (Rollback r : w.triggers()) {
            if (now - w.endedAt() > r.trigger().within().toMillis()) continue;
            open = true;
            List<String> read = governor.rollbackHolds(r, w.asRan());
            if (read != null && watches.remove(w.call().intent().id(), w)) {
                trigger(w.call(), w.result(), w.resultProblem(), r.trigger().when(), read);
                return;
            }
        }
        if (!open) watches.remove(w.call().intent().id(), w);
    }

    /** Records the trigger, then hands the compensating call to a thread of its own; nothing runs when it cannot be made. */
    private void trigger(ToolCalls.Runs call, Object result, String resultProblem, String when, List<String> read) {
        String original = call.intent().id();
        Compensation c = call.method().rollback();
        String problem = c == null ? call.method().where() + " declares no rollback (@GovernedAction(rollback = ...))" : c.problem();
        Method method = null;
        Object[] args = null;
        if (problem == null) {
            try {
                method = find(call.target(), c);
                args = bind(method, c, call.execution().args(), result, resultProblem);
            } catch (IllegalStateException e) {
                problem = e.getMessage();
            }
        }
        String rollbackIntentId = problem == null ? TimeOrderedId.next() : null;
        try {
            governor.recordRollback(original, new AuditPayload.RollbackTriggered(when, read, c == null ? null : c.action(), rollbackIntentId,
                    problem == null ? null : "nothing ran: " + problem));
        } catch (RuntimeException e) {
            MagistrateLog.error(Rollbacks.class, "the rollback of intent " + original + " was not run: its trigger could not be recorded", e);
            return;
        }
        if (problem != null) {
            MagistrateLog.warn(Rollbacks.class, "the rollback of intent " + original + " (" + call.intent().action() + ", " + when
                    + ") cannot run: " + problem, null);
            return;
        }
        Pending pending = new Pending(c.action(), rollbackIntentId, original, "rollback of intent " + original + " (" + call.intent().action()
                + "), triggered by " + when + (read.isEmpty() ? "" : " " + read));
        Method m = method;
        Object[] a = args;
        try {
            runner.execute(() -> run(pending, m, call.target(), a));
        } catch (RejectedExecutionException closed) {
            MagistrateLog.warn(Rollbacks.class, "Magistrate closed before the rollback of intent " + original + " could run", null);
        }
    }

    private static void run(Pending pending, Method method, Object target, Object[] args) {
        MAKING.set(pending);
        try {
            method.invoke(target, args);
            MagistrateLog.info(Rollbacks.class, "rollback " + pending.intentId() + " of intent " + pending.originalIntentId() + " ran");
        } catch (InvocationTargetException e) {
            // A denial, a wait in vain or a failing body: the governed call already recorded it under its own intent.
            MagistrateLog.warn(Rollbacks.class, "rollback " + pending.intentId() + " of intent " + pending.originalIntentId() + " did not complete: "
                    + e.getCause(), null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            MagistrateLog.error(Rollbacks.class, "rollback " + pending.intentId() + " of intent " + pending.originalIntentId() + " could not be called", e);
        } finally {
            if (MAKING.get() != null) {
                MAKING.remove();
                MagistrateLog.error(Rollbacks.class, "rollback " + pending.intentId() + ": " + method + " was called without being governed;"
                        + " is it instrumented (agent) or proxied (Spring)?", null);
            }
        }
    }

    /** The compensating method on the object the call ran on (the Spring proxy, or the instrumented object). */
    private static Method find(Object target, Compensation c) {
        if (target == null) throw new IllegalStateException("the object the call ran on is not known (a static method, or an adapter that does not pass it)");
        for (Class<?> k = target.getClass(); k != null; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(c.method()) && Arrays.stream(m.getParameterTypes()).map(Class::getName).toList().equals(c.parameterTypes())) {
                    try {
                        m.setAccessible(true);
                    } catch (RuntimeException e) {
                        throw new IllegalStateException(m + " cannot be called from Magistrate: " + e.getMessage());
                    }
                    return m;
                }
            }
        }
        throw new IllegalStateException(target.getClass().getName() + " has no method " + c.method() + c.parameterTypes());
    }

    private static Object[] bind(Method method, Compensation c, Map<String, Object> ran, Object result, String resultProblem) {
        Object[] args = new Object[c.bindings().size()];
        for (int i = 0; i < args.length; i++) {
            String name = c.bindings().get(i);
            if (name.equals(Compensation.RESULT) && resultProblem != null) throw new IllegalStateException(resultProblem);
            args[i] = name.equals(Compensation.RESULT) ? result : ran.get(name);
            if (args[i] == null && method.getParameterTypes()[i].isPrimitive()) {
                throw new IllegalStateException(method.getName() + "'s parameter '" + name + "' is a " + method.getParameterTypes()[i]
                        + ", and the value to bind is null");
            }
        }
        return args;
    }

    /** Ends the watches (they are process-local) and stops the threads; a compensating call waiting for approvers is abandoned. */
    @Override
    public void close() {
        watches.clear();
        watcher.shutdownNow();
        runner.shutdownNow();
    }
}
