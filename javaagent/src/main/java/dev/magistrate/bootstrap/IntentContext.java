package dev.magistrate.bootstrap;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RunnableFuture;
import java.util.function.Supplier;

/**
 * The governed call that asynchronous work belongs to, so that a governed call made from that work names it as its
 * parent ({@code parent_intent_id}), the way OpenTelemetry's agent carries a span across threads. Work handed to an
 * executor, a {@code ForkJoinPool} or {@code CompletableFuture.*Async} while a governed call is open on the handing
 * thread is wrapped (the agent's advice on those JDK classes calls {@code wrap}); a virtual thread started inside a
 * governed call inherits it (virtual threads are never pooled, so the inheritance cannot leak into unrelated work).
 * Outside governed calls nothing is wrapped. Served by the bootstrap loader, beside the bridge, to every class.
 */
public final class IntentContext {

    /** Set on the thread that runs wrapped work, for the duration of that work. */
    private static final ThreadLocal<String> INHERITED = new ThreadLocal<>();
    /** The innermost open governed call of the creating thread, copied into threads it creates; read on virtual threads only. */
    private static final InheritableThreadLocal<String> OPEN = new InheritableThreadLocal<>();
    private static final MethodHandle IS_VIRTUAL = isVirtual();

    private IntentContext() {
    }

    private static MethodHandle isVirtual() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException beforeJava21) {
            return null;
        }
    }

    /** The dispatcher opened a governed call on this thread. */
    public static void opened(String intentId) {
        OPEN.set(intentId);
    }

    /** The dispatcher closed one; {@code innermost} is the call still open on this thread, or null. */
    public static void closed(String innermost) {
        if (innermost == null) OPEN.remove();
        else OPEN.set(innermost);
    }

    /** The governed call this thread's work belongs to when none is open on it: null when there is none. */
    public static String inherited() {
        String wrapped = INHERITED.get();
        if (wrapped != null) return wrapped;
        return onVirtualThread() ? OPEN.get() : null;
    }

    private static boolean onVirtualThread() {
        if (IS_VIRTUAL == null) return false;
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable e) {
            return false;
        }
    }

    private static String handing() {
        return MagistrateBridge.currentIntentId();
    }

    /*
     * What the agent's advice calls with the work handed to an executor, a pool or CompletableFuture, by the type the
     * method takes (work may be Runnable and Callable at once): it comes back wrapped when a governed call is open on this
     * thread. Tasks a pool made itself (a FutureTask from submit, a ForkJoinTask) are left alone: the work inside them was
     * wrapped when it was handed over, and callers may hold them (shutdownNow).
     */

    public static Runnable wrap(Runnable work) {
        if (work == null || work instanceof ContextRunnable || work instanceof RunnableFuture<?> || work instanceof ForkJoinTask<?>) return work;
        String id = handing();
        return id == null ? work : new ContextRunnable(work, id);
    }

    public static <V> Callable<V> wrap(Callable<V> work) {
        if (work == null || work instanceof ContextCallable) return work;
        String id = handing();
        return id == null ? work : new ContextCallable<>(work, id);
    }

    public static <T> Supplier<T> wrap(Supplier<T> work) {
        if (work == null || work instanceof ContextSupplier) return work;
        String id = handing();
        return id == null ? work : new ContextSupplier<>(work, id);
    }

    private static String enter(String id) {
        String previous = INHERITED.get();
        INHERITED.set(id);
        return previous;
    }

    private static void leave(String previous) {
        if (previous == null) INHERITED.remove();
        else INHERITED.set(previous);
    }

    private record ContextRunnable(Runnable work, String intentId) implements Runnable {
        @Override
        public void run() {
            String previous = enter(intentId);
            try {
                work.run();
            } finally {
                leave(previous);
            }
        }
    }

    private record ContextCallable<V>(Callable<V> work, String intentId) implements Callable<V> {
        @Override
        public V call() throws Exception {
            String previous = enter(intentId);
            try {
                return work.call();
            } finally {
                leave(previous);
            }
        }
    }

    private record ContextSupplier<T>(Supplier<T> work, String intentId) implements Supplier<T> {
        @Override
        public T get() {
            String previous = enter(intentId);
            try {
                return work.get();
            } finally {
                leave(previous);
            }
        }
    }
}
