package dev.magistrate.approval;

import dev.magistrate.warrant.Constraint;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory backend that code and tests vote through: {@code approve}, {@code deny}, or a full
 * {@link Vote}. Requests stay listed in {@link #pending()} until the intent ends; the engine's sink
 * for an ended intent is kept (the last 10,000), so a late vote still reaches the engine, which
 * ignores it, and {@link #awaitRequest} also finds requests that have already ended.
 */
public final class ProgrammaticApprovalBackend implements ApprovalBackend {

    public static final String NAME = "programmatic";
    private static final int REMEMBERED_REQUESTS = 10_000;

    private record Offered(ApprovalRequest request, VoteSink sink) {
    }

    private final Map<String, ApprovalRequest> pending = new ConcurrentHashMap<>();
    /** Every request seen (bounded, oldest dropped first), kept after the intent ends so late votes still reach the engine. */
    private final Map<String, CompletableFuture<Offered>> requests = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<Offered>> eldest) {
            return size() > REMEMBERED_REQUESTS;
        }
    };
    private final ReentrantLock requestsLock = new ReentrantLock();
    private volatile String unreachable;

    /** Votes come from code in this process; there is no one to authenticate. */
    @Override
    public boolean requiresApproverCredentials() {
        return false;
    }

    @Override
    public String name() {
        return NAME;
    }

    private CompletableFuture<Offered> slot(String intentId) {
        requestsLock.lock();
        try {
            return requests.computeIfAbsent(intentId, k -> new CompletableFuture<>());
        } finally {
            requestsLock.unlock();
        }
    }

    private Offered offered(String intentId) {
        requestsLock.lock();
        try {
            CompletableFuture<Offered> f = requests.get(intentId);
            return f == null ? null : f.getNow(null);
        } finally {
            requestsLock.unlock();
        }
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        // Under the lock that disconnect takes too: a request is either refused or listed, never lost between.
        // The sink is published before the listing, so a request in pending() already takes votes (found by
        // LoadTest: a vote cast between the two steps was refused as "no approval request", and the intent timed out).
        requestsLock.lock();
        try {
            String down = unreachable;
            if (down != null) throw new IllegalStateException("programmatic backend disconnected: " + down);
            slot(request.intentId()).complete(new Offered(request, votes));
            pending.put(request.intentId(), request);
        } finally {
            requestsLock.unlock();
        }
    }

    @Override
    public void proposalChanged(ApprovalRequest edited) {
        pending.computeIfPresent(edited.intentId(), (id, old) -> edited);
    }

    @Override
    public void cancel(String intentId) {
        pending.remove(intentId);
    }

    /** Requests waiting for votes, oldest first by intent id (ids are time-ordered). */
    public List<ApprovalRequest> pending() {
        List<ApprovalRequest> list = new ArrayList<>(pending.values());
        list.sort((a, b) -> a.intentId().compareTo(b.intentId()));
        return list;
    }

    /** Waits until the engine has asked about this intent; tests use it to vote only once the request is out. */
    public ApprovalRequest awaitRequest(String intentId, Duration timeout) {
        CompletableFuture<Offered> f = slot(intentId);
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS).request();
        } catch (TimeoutException e) {
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
        Offered e = offered(intentId);
        if (e == null) return VoteResult.rejected("no approval request for intent " + intentId + " reached this backend", "unknown");
        return e.sink().vote(vote);
    }

    /**
     * Simulates losing the approvers: every pending intent is failed through its sink and new requests
     * throw, so the engine denies them all.
     */
    public void disconnect(String reason) {
        List<Offered> waiting = new ArrayList<>();
        requestsLock.lock();
        try {
            unreachable = reason;
            for (ApprovalRequest r : pending()) {
                Offered e = offered(r.intentId());
                if (e != null) waiting.add(e);
            }
        } finally {
            requestsLock.unlock();
        }
        for (Offered e : waiting) e.sink().fail(reason); // outside the lock: failing calls back into cancel()
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
            ApprovalBackendProvider.requireKnownSettings(NAME, settings, Set.of());
            return new ProgrammaticApprovalBackend();
        }
    }
}
