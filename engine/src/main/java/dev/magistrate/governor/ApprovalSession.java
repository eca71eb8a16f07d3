package dev.magistrate.governor;

import dev.magistrate.log.MagistrateLog;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Constraint;
import dev.magistrate.warrant.Warrant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * One intent waiting for votes: the place where the approval rules are enforced. Every input (vote,
 * backend failure, timeout, abandonment) takes the same lock, so whatever arrives first decides and
 * the intent reaches exactly one final state, audited once. The future is completed after the lock
 * is released, so no caller code runs under it.
 */
final class ApprovalSession implements VoteSink {

    private enum State {
        PENDING, GRANTED, DENIED, TIMED_OUT;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final String AUTOMATIC_APPROVER = "auto";

    private final Governor governor;
    private final ApprovalRequest request;
    private final Intent intent;
    private final Duration timeout;
    private final long startedNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final CompletableFuture<Warrant> result = new CompletableFuture<>();
    private final LinkedHashMap<String, Approver> approvals = new LinkedHashMap<>();
    private final List<Constraint> constraints = new ArrayList<>();
    private State state = State.PENDING;
    private ScheduledFuture<?> timeoutTask;
    private Runnable completion;

    ApprovalSession(Governor governor, ApprovalRequest request, Duration timeout) {
        this.governor = governor;
        this.request = request;
        this.intent = request.intent();
        this.timeout = timeout;
    }

    String intentId() {
        return intent.id();
    }

    CompletableFuture<Warrant> result() {
        return result;
    }

    void startTimer(ScheduledExecutorService timer) {
        ScheduledFuture<?> task = timer.schedule(this::timedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
        lock.lock();
        try {
            if (state == State.PENDING) timeoutTask = task;
            else task.cancel(false);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public VoteResult vote(Vote vote) {
        VoteResult r;
        lock.lock();
        try {
            r = voteLocked(vote);
        } finally {
            lock.unlock();
        }
        runCompletion();
        return r;
    }

    private VoteResult voteLocked(Vote vote) {
        Optional<Approver> found = governor.approvers().find(vote.approverId());
        List<String> roles = found.map(a -> List.copyOf(a.roles())).orElse(List.of());
        if (state != State.PENDING) {
            String why = "late vote: the intent is already " + state.wireName();
            auditVote(vote, roles, false, why); // best effort: the intent has ended, nothing to deny
            return VoteResult.rejected(why, state.wireName());
        }
        String rejection = null;
        if (found.isEmpty()) {
            rejection = "unknown approver '" + vote.approverId() + "'";
        } else if (vote.approverId().equals(intent.agent())) {
            rejection = "the requesting agent cannot approve its own intent";
        } else if (vote.verdict() == Verdict.APPROVE && approvals.containsKey(vote.approverId())) {
            rejection = "'" + vote.approverId() + "' already approved; " + request.requiredApprovals() + " approvals need as many distinct approvers";
        } else if (vote.verdict() == Verdict.APPROVE && request.mfaRequired()) {
            // Checked last, so a code is spent only by a vote that otherwise counts.
            rejection = governor.mfa().check(found.get(), vote.totpCode(), governor.clock().instant());
        }
        if (rejection != null) {
            if (!auditVote(vote, roles, false, rejection)) return VoteResult.rejected(rejection, state.wireName());
            return VoteResult.rejected(rejection, state.wireName());
        }
        if (!auditVote(vote, roles, true, null)) return VoteResult.rejected("the vote could not be recorded", state.wireName());
        Approver approver = found.get();
        if (vote.verdict() == Verdict.DENY) {
            String why = vote.comment() == null || vote.comment().isBlank() ? "no reason given" : vote.comment();
            deny(DenialStage.APPROVAL, approver.id(), why, null);
            return VoteResult.accepted(state.wireName());
        }
        for (Constraint c : vote.constraints()) {
            Optional<String> violation = c.violation(intent.args());
            if (violation.isPresent()) {
                String limits = vote.constraints().stream().map(Constraint::describe).collect(Collectors.joining(", "));
                String why = "approves only with " + limits + ", but " + violation.get()
                        + (vote.comment() != null && !vote.comment().isBlank() ? " (" + vote.comment().strip() + ")" : "");
                deny(DenialStage.APPROVAL, approver.id(), why, limits);
                return VoteResult.accepted(state.wireName());
            }
        }
        approvals.put(approver.id(), approver);
        constraints.addAll(vote.constraints());
        if (satisfied()) grant(new ArrayList<>(approvals.keySet()));
        return VoteResult.accepted(state.wireName());
    }

    private boolean satisfied() {
        if (approvals.size() < request.requiredApprovals()) return false;
        for (String role : request.requiredRoles()) {
            if (approvals.values().stream().noneMatch(a -> a.roles().contains(role))) return false;
        }
        return true;
    }

    @Override
    public VoteResult approveAutomatically(String note) {
        VoteResult r;
        lock.lock();
        try {
            Vote vote = new Vote(AUTOMATIC_APPROVER, Verdict.APPROVE, note, null, List.of());
            if (state != State.PENDING) {
                auditVote(vote, List.of(), false, "late vote: the intent is already " + state.wireName());
                r = VoteResult.rejected("late vote: the intent is already " + state.wireName(), state.wireName());
            } else if (!governor.backend().automatic()) {
                String why = "backend '" + governor.backend().name() + "' does not approve automatically";
                auditVote(vote, List.of(), false, why);
                r = VoteResult.rejected(why, state.wireName());
            } else if (request.mfaRequired()) {
                String why = "automatic approval cannot supply the TOTP codes this intent requires (T3 or requires_mfa)";
                if (auditVote(vote, List.of(), false, why)) deny(DenialStage.APPROVAL, AUTOMATIC_APPROVER, why, null);
                r = VoteResult.rejected(why, state.wireName());
            } else {
                if (auditVote(vote, List.of(), true, null)) grant(List.of(AUTOMATIC_APPROVER));
                r = VoteResult.accepted(state.wireName());
            }
        } finally {
            lock.unlock();
        }
        runCompletion();
        return r;
    }

    @Override
    public void fail(String reason) {
        lock.lock();
        try {
            if (state == State.PENDING) {
                deny(DenialStage.BACKEND, governor.backend().name(), "approval backend '" + governor.backend().name() + "' is unreachable: " + reason, null);
            }
        } finally {
            lock.unlock();
        }
        runCompletion();
    }

    /** The caller stopped waiting, or the governor is closing. */
    void abandon(String reason) {
        lock.lock();
        try {
            if (state == State.PENDING) deny(DenialStage.APPROVAL, null, reason, null);
        } finally {
            lock.unlock();
        }
        runCompletion();
    }

    private void timedOut() {
        lock.lock();
        try {
            if (state != State.PENDING) return;
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            String why = "no decision within " + timeout + " (" + progress() + "); unanswered requests are denied";
            try {
                governor.record(intent.id(), new AuditPayload.IntentTimedOut(why, waitedMs));
            } catch (RuntimeException e) {
                MagistrateLog.error(ApprovalSession.class, "audit trail failing; timeout of intent " + intent.id() + " unrecorded", e);
            }
            end(State.TIMED_OUT, null,
                    new DeniedException(intent.id(), intent.action(), DenialStage.APPROVAL, "timeout", why, null, null));
        } finally {
            lock.unlock();
        }
        runCompletion();
    }

    private String progress() {
        StringBuilder sb = new StringBuilder();
        sb.append(approvals.size()).append(" of ").append(request.requiredApprovals()).append(" approvals");
        if (!request.requiredRoles().isEmpty()) sb.append(", roles needed ").append(request.requiredRoles());
        return sb.toString();
    }

    /** Under the lock: the intent is denied; the audit entry is written now, the caller told after unlock. */
    void deny(DenialStage stage, String by, String reason, String allowedInstead) {
        boolean mine = lock.isHeldByCurrentThread();
        if (!mine) lock.lock();
        try {
            if (state != State.PENDING) return;
            DeniedException e = governor.denyAudited(intent, stage, by, reason, allowedInstead, null);
            end(State.DENIED, null, e);
        } finally {
            if (!mine) {
                lock.unlock();
                runCompletion();
            }
        }
    }

    private void grant(List<String> approvedBy) {
        Warrant w;
        try {
            w = governor.issueAndRecord(intent, request.decision(), approvedBy, List.copyOf(constraints));
        } catch (RuntimeException e) {
            deny(DenialStage.AUDIT, "audit", "the warrant could not be issued and recorded: " + e, null);
            return;
        }
        end(State.GRANTED, w, null);
    }

    private void end(State finalState, Warrant warrant, DeniedException denial) {
        state = finalState;
        if (timeoutTask != null) timeoutTask.cancel(false);
        governor.ended(this);
        completion = () -> {
            if (warrant != null) result.complete(warrant);
            else result.completeExceptionally(denial);
            try {
                governor.backend().cancel(intent.id());
            } catch (RuntimeException e) {
                MagistrateLog.warn(ApprovalSession.class, "approval backend failed to withdraw intent " + intent.id(), e);
            }
        };
    }

    private void runCompletion() {
        Runnable r;
        lock.lock();
        try {
            r = completion;
            completion = null;
        } finally {
            lock.unlock();
        }
        if (r != null) r.run();
    }

    /** Writes the VOTE entry (never the TOTP code). If it cannot be written while pending, the intent is denied. */
    private boolean auditVote(Vote vote, List<String> roles, boolean accepted, String rejection) {
        try {
            governor.record(intent.id(), new AuditPayload.Vote(vote.approverId(), roles, vote.verdict().wireName(), vote.comment(), accepted,
                    rejection));
            return true;
        } catch (RuntimeException e) {
            if (state == State.PENDING) deny(DenialStage.AUDIT, "audit", "a vote could not be recorded: " + e, null);
            return false;
        }
    }
}
