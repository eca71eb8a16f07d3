package dev.magistrate.bootstrap;

import dev.magistrate.annotations.CallDeniedException;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The one class instrumented code calls. It lives on the bootstrap class path so that every class
 * loader sees it, and it holds nothing but a dispatcher that the agent installs once. Until then,
 * and if the agent failed to start, every governed call is denied (fail closed).
 */
public final class MagistrateBridge {

    /** Implemented inside the agent's own class loader. */
    public interface Dispatcher {
        /** Governs a call about to run: returns null to let it run, a fallback value to skip it, or throws the denial. */
        Object enter(int methodId, Object[] args);

        /** Confirms the outcome of a call that ran; returns what the method returns. */
        Object exit(Object returned, Throwable thrown);
    }

    private static final Dispatcher NOT_STARTED = new Dispatcher() {
        @Override
        public Object enter(int methodId, Object[] args) {
            throw new CallDeniedException("DENIED: Magistrate has not started, so no governed call may run.");
        }

        @Override
        public Object exit(Object returned, Throwable thrown) {
            return returned;
        }
    };

    private static final AtomicReference<Dispatcher> DISPATCHER = new AtomicReference<>(NOT_STARTED);

    private MagistrateBridge() {
    }

    public static Object enter(int methodId, Object[] args) {
        return DISPATCHER.get().enter(methodId, args);
    }

    public static Object exit(Object returned, Throwable thrown) {
        return DISPATCHER.get().exit(returned, thrown);
    }

    /** Installs the dispatcher; only the first call succeeds, so application code cannot swap it out later. */
    public static boolean install(Dispatcher dispatcher) {
        return DISPATCHER.compareAndSet(NOT_STARTED, dispatcher);
    }
}
