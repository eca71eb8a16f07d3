package dev.magistrate.bootstrap;

import dev.magistrate.annotations.CallDeniedException;

/**
 * The one class instrumented code calls. It lives on the bootstrap class path so that every class
 * loader sees it, and it holds nothing but the dispatcher that the agent installs once. Until then,
 * and if the agent failed to start, every governed call is denied (fail closed).
 * <p>
 * Set once, and not by reflection either: the installed dispatcher is a {@code static final} field of
 * {@link Installed}, assigned when that class initialises during {@link #install}, and the JVM refuses
 * to set a static final field reflectively. Flipping {@link #installed} by reflection only ever leads
 * to {@link #NOT_STARTED} (every call denied). What remains possible for code in the same process with
 * {@code sun.misc.Unsafe} or an agent of its own is out of scope (docs/threat-model.md).
 */
public final class MagistrateBridge {

    /** Implemented inside the agent's own class loader. */
    public interface Dispatcher {
        /**
         * Governs a call about to run on {@code target} (null for a static method): returns null to let it run, a fallback
         * value to skip it, or throws the denial.
         */
        Object enter(int methodId, Object target, Object[] args);

        /** Confirms the outcome of a call that ran; returns what the method returns. */
        Object exit(Object returned, Throwable thrown);

        /** The innermost governed call open on this thread, or null: what work handed to another thread belongs to. */
        default String currentIntentId() {
            return null;
        }
    }

    private static final Dispatcher NOT_STARTED = new Dispatcher() {
        @Override
        public Object enter(int methodId, Object target, Object[] args) {
            throw new CallDeniedException("DENIED: Magistrate has not started, so no governed call may run.");
        }

        @Override
        public Object exit(Object returned, Throwable thrown) {
            return returned;
        }
    };

    private static final Object LOCK = new Object();
    private static volatile boolean installed;
    private static Dispatcher pending;

    private MagistrateBridge() {
    }

    /** Holds the installed dispatcher; initialised exactly once, by {@link #install}. */
    private static final class Installed {
        static final Dispatcher DISPATCHER = take();
    }

    private static Dispatcher take() {
        synchronized (LOCK) {
            Dispatcher d = pending;
            pending = null;
            return d != null ? d : NOT_STARTED;
        }
    }

    private static Dispatcher dispatcher() {
        return installed ? Installed.DISPATCHER : NOT_STARTED;
    }

    public static Object enter(int methodId, Object target, Object[] args) {
        return dispatcher().enter(methodId, target, args);
    }

    public static Object exit(Object returned, Throwable thrown) {
        return dispatcher().exit(returned, thrown);
    }

    /** See {@link IntentContext}. */
    static String currentIntentId() {
        return dispatcher().currentIntentId();
    }

    /** Installs the dispatcher; only the first call succeeds, so application code cannot swap it out later. */
    public static boolean install(Dispatcher dispatcher) {
        synchronized (LOCK) {
            if (installed || dispatcher == null) return false;
            pending = dispatcher;
            boolean ours = Installed.DISPATCHER == dispatcher; // initialises Installed with it, unless something did before
            installed = true;
            return ours;
        }
    }
}
