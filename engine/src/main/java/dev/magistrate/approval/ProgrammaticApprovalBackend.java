package dev.magistrate.approval;

import dev.magistrate.warrant.Constraint;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An in-memory backend that code and tests vote through: {@code approve}, {@code deny}, or a full
 * {@link Vote}. Requests stay listed in {@link #pending()} until the intent ends; the engine's sink
 * for an ended intent is kept a while, so a late vote still reaches the engine (which ignores it).
 */
public final class ProgrammaticApprovalBackend implements ApprovalBackend {

    public static final String NAME = "programmatic";
    private static final int REMEMBERED_SINKS = 10_000;

    private record Entry(ApprovalRequest request, VoteSink sink) {
    }

    private final Map<String, ApprovalRequest> pending = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Entry>> arrivals = new ConcurrentHashMap<>();
    private final Map<String, Entry> remembered = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > REMEMBERED_SINKS;
        }
    };
    private volatile String unreachable;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        String down = unreachable;
        if (down != null) throw new IllegalStateException("programmatic backend disconnected: " + down);
        Entry e = new Entry(request, votes);
        synchronized (remembered) {
            remembered.put(request.intentId(), e);
        }
        pending.put(request.intentId(), request);
        arrivals.computeIfAbsent(request.intentId(), k -> new CompletableFuture<>()).complete(e);
    }

    @Override
    public void cancel(String intentId) {
        pending.remove(intentId);
        arrivals.remove(intentId);
    }

    /** Requests waiting for votes, oldest first by intent id (ids are time-ordered). */
    public List<ApprovalRequest> pending() {
        List<ApprovalRequest> list = new ArrayList<>(pending.values());
        list.sort((a, b) -> a.intentId().compareTo(b.intentId()));
        return list;
    }

    /** Waits until the engine has asked about this intent; tests use it to vote only once the request is out. */
    public ApprovalRequest awaitRequest(String intentId, Duration timeout) {
        CompletableFuture<Entry> f = arrivals.computeIfAbsent(intentId, k -> new CompletableFuture<>());
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS).request();
        } catch (TimeoutException e) {
            arrivals.remove(intentId, f);
            throw new IllegalStateException("no approval request for intent " + intentId + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for intent " + intentId, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    public VoteResult approve(String intentId, String approverId) {
        return vote(intentId, Vote.approve(approverId));
    }

    public VoteResult approve(String intentId, String approverId, String totpCode) {
        return vote(intentId, Vote.approve(approverId).withTotp(totpCode));
    }

    public VoteResult approveWithConstraints(String intentId, String approverId, String comment, List<Constraint> constraints) {
        return vote(intentId, Vote.approve(approverId).withComment(comment).withConstraints(constraints));
    }

    public VoteResult deny(String intentId, String approverId, String reason) {
        return vote(intentId, Vote.deny(approverId, reason));
    }

    /** Delivers a vote to the engine; unknown intents (never requested here) are refused. */
    public VoteResult vote(String intentId, Vote vote) {
        Entry e;
        synchronized (remembered) {
            e = remembered.get(intentId);
        }
        if (e == null) return VoteResult.rejected("no approval request for intent " + intentId + " reached this backend", "unknown");
        return e.sink().vote(vote);
    }

    /**
     * Simulates losing the approvers: every pending intent is failed through its sink and new requests
     * throw, so the engine denies them all.
     */
    public void disconnect(String reason) {
        unreachable = reason;
        for (ApprovalRequest r : pending()) {
            Entry e;
            synchronized (remembered) {
                e = remembered.get(r.intentId());
            }
            if (e != null) e.sink().fail(reason);
        }
    }

    public void reconnect() {
        unreachable = null;
    }

    public static final class Provider implements ApprovalBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ApprovalBackend create(Map<String, String> settings) {
            if (!settings.isEmpty()) throw new IllegalArgumentException("the programmatic backend takes no settings, got " + settings.keySet());
            return new ProgrammaticApprovalBackend();
        }
    }
}
