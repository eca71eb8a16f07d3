package dev.magistrate.agent.internal;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.bootstrap.MagistrateBridge;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The dispatcher the bridge holds while the engine starts on its own thread: a governed call waits for the start (at
 * most {@code waitMillis}) and is then governed by the engine, or denied with the reason it did not start; a call that
 * cannot wait long enough is denied too. Never lets a call run ungoverned.
 *
 * <p>A record around a {@link FutureTask}: the application can read these fields by reflection but cannot set them, and
 * FutureTask, unlike CompletableFuture, has no public method that would set its result (cancelling it only denies).
 */
record StartingDispatcher(FutureTask<GovernanceDispatcher> start, long waitMillis, StartGate gate) implements MagistrateBridge.Dispatcher {

    /** The engine's dispatcher once started; the denial that explains why not, else. */
    GovernanceDispatcher await() {
        try {
            return start.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CallDeniedException("DENIED: Magistrate is still starting after " + waitMillis + " ms (" + AgentConfig.START_TIMEOUT
                    + "), so no governed call may run.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallDeniedException("DENIED: interrupted while waiting for Magistrate to start, so the call may not run.");
        } catch (ExecutionException | CancellationException e) {
            throw new CallDeniedException("DENIED: Magistrate could not start: " + e);
        }
    }

    /** The engine's dispatcher if it has started, else null (nothing waits). */
    GovernanceDispatcher startedOrNull() {
        if (!start.isDone()) return null;
        try {
            return start.get();
        } catch (InterruptedException | ExecutionException | CancellationException e) {
            return null;
        }
    }

    @Override
    public Object enter(int methodId, Object target, Object[] args) {
        gate.callArrived();
        return await().enter(methodId, target, args);
    }

    @Override
    public Object exit(Object returned, Throwable thrown) {
        GovernanceDispatcher started = startedOrNull(); // a call that got past enter found it started
        return started == null ? returned : started.exit(returned, thrown);
    }

    @Override
    public String currentIntentId() {
        GovernanceDispatcher started = startedOrNull();
        return started == null ? null : started.currentIntentId();
    }
}
