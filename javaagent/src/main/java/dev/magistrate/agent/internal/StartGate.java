package dev.magistrate.agent.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether the engine's start, under way on its own thread, must be finished or may be dropped at exit. A JVM that ends
 * before any governed call and before the engine wrote anything need not wait for the engine: the shutdown hook
 * abandons the start, and the engine, asked before its first write, stops without writing. Once a governed call has
 * arrived, or the engine has begun writing (keys, the audit trail), the start is finished and the engine closed at exit,
 * so that the trail is never left half opened.
 */
final class StartGate {

    private static final int UNDECIDED = 0, MUST_FINISH = 1, ABANDONED = 2;
    private final AtomicInteger state = new AtomicInteger(UNDECIDED);

    /** A governed call arrived: the start must finish (a call after abandonment is denied, as after a failed start). */
    void callArrived() {
        state.compareAndSet(UNDECIDED, MUST_FINISH);
    }

    /** Asked by the engine just before its first write: false when the start was abandoned (nothing is written then). */
    boolean mayWrite() {
        return state.compareAndSet(UNDECIDED, MUST_FINISH) || state.get() == MUST_FINISH;
    }

    /** Asked at exit: true when the start was abandoned now, or before; false when it must be waited for and closed. */
    boolean abandon() {
        return state.compareAndSet(UNDECIDED, ABANDONED) || state.get() == ABANDONED;
    }
}
