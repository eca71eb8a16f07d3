package dev.magistrate.governor;

import dev.magistrate.log.MagistrateLog;
import dev.magistrate.approval.ApprovalAuthority;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.AttemptLimiter;
import dev.magistrate.approval.MfaVerifier;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.AuthorityVerdicts;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Constraint;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantRejectedException;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
final class ApprovalSession implements VoteSink, AuthorityVerdicts {

    private enum State {
        PENDING, GRANTED, DENIED, TIMED_OUT, NEEDS_INFORMATION;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final String AUTOMATIC_APPROVER = "auto";

    private final Governor governor;
    private final ApprovalRequest request;
    private final Intent intent;
    private final Duration timeout;
    private final long startedNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final CompletableFuture<Authorization> result = new CompletableFuture<>();
    /** Approvals of the current proposal; an accepted edit replaces the proposal and clears them. */
    private final LinkedHashMap<String, Approver> approvals = new LinkedHashMap<>();
    private final List<Constraint> constraints = new ArrayList<>();
    /** The call the approvals are for: the intent as requested, or as the last accepted edit changed it. */
    private Intent proposal;
    private String editedBy;
    private State state = State.PENDING;
    /** Wrong TOTP codes on this intent, from any approver; at most this many in a row before TOTP approvals on it lock. */
    static final int MAX_WRONG_CODES_PER_INTENT = 10;
    private final AttemptLimiter intentLimiter = new AttemptLimiter(MAX_WRONG_CODES_PER_INTENT);
    private final Map<String, Long> refusalCounts = new HashMap<>();
    private ScheduledFuture<?> timeoutTask;
    private ScheduledFuture<?> waitingLogTask;
    private Runnable completion;
    /** The request as last edited, for the backend, told after the lock is released. */
    private ApprovalRequest proposalNotice;

    ApprovalSession(Governor governor, ApprovalRequest request, Duration timeout) {
        this.governor = governor;
        this.request = request;
        this.intent = request.intent();
        this.proposal = intent;
        this.timeout = timeout;
    }

    String intentId() {
        return intent.id();
    }

    ApprovalRequest request() {
        return request;
    }

    CompletableFuture<Authorization> result() {
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

    /** Says once, now, that the call waits and for whom, then again every {@code interval} while it still waits. */
    void startWaitingLog(ScheduledExecutorService timer, Duration interval) {
        String line;
        lock.lock();
        try {
            if (state != State.PENDING) return;
            line = waitingLine(false);
            waitingLogTask = timer.scheduleAtFixedRate(this::logStillWaiting, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            // Saying that a call waits must never change what happens to it (a timer already shut down, say).
            return;
        } finally {
            lock.unlock();
        }
        MagistrateLog.info(ApprovalSession.class, line); // outside the lock: a slow log must not hold up votes
    }

    private void logStillWaiting() {
        String line;
        lock.lock();
        try {
            if (state != State.PENDING) return;
            line = waitingLine(true);
        } finally {
            lock.unlock();
        }
        try {
            MagistrateLog.info(ApprovalSession.class, line);
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again: a failing log only loses later lines.
        }
    }

    /** Like {@code intent 0193… (scale_service, T2) waits for approval: 2 approvals (roles: sre), 3 approvers can vote (sam, riya, bob), at http://…, deadline …}. */
    private String waitingLine(boolean again) {
        StringBuilder sb = new StringBuilder("intent ").append(intent.id()).append(" (").append(intent.action()).append(", ")
                .append(request.decision().tier()).append(again ? ") still waits for approval: " : ") waits for approval: ");
        if (again) sb.append(approvals.size()).append(" of ");
        sb.append(request.requiredApprovals()).append(request.requiredApprovals() == 1 ? " approval" : " approvals");
        if (!request.requiredRoles().isEmpty()) sb.append(" (roles: ").append(String.join(", ", request.requiredRoles())).append(')');
        if (request.mfaRequired()) sb.append(" with TOTP");
        if (governor.backend() instanceof ApprovalAuthority) {
            // Its approvers are the service's, not this process's directory.
            return sb.append(", decided by the fleet service at ").append(governor.backend().endpoint()).append(", deadline ")
                    .append(request.deadline().truncatedTo(ChronoUnit.SECONDS)).toString();
        }
        List<String> voters = governor.approvers().all().stream().map(Approver::id).filter(id -> !id.equals(intent.agent())).toList();
        sb.append(", ").append(voters.size()).append(voters.size() == 1 ? " approver can vote (" : " approvers can vote (")
                .append(String.join(", ", voters.subList(0, Math.min(5, voters.size())))).append(voters.size() > 5 ? ", ...)" : ")");
        String endpoint = governor.backend().endpoint();
        sb.append(endpoint != null ? ", at " + endpoint : ", through backend '" + governor.backend().name() + "'");
        return sb.append(", deadline ").append(request.deadline().truncatedTo(ChronoUnit.SECONDS)).toString();
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
        tellBackendOfEdit();
        return r;
    }

    private void tellBackendOfEdit() {
        ApprovalRequest edited;
        lock.lock();
        try {
            edited = proposalNotice;
            proposalNotice = null;
        } finally {
            lock.unlock();
        }
        if (edited == null) return;
        try {
            governor.backend().proposalChanged(edited);
        } catch (RuntimeException e) {
            MagistrateLog.warn(ApprovalSession.class, "approval backend failed to show the edited intent " + intent.id(), e);
        }
    }

    private VoteResult voteLocked(Vote vote) {
        Optional<Approver> found = governor.approvers().find(vote.approverId());
        List<String> roles = found.map(a -> List.copyOf(a.roles())).orElse(List.of());
        if (governor.backend().requiresApproverCredentials() || vote.credential() != null) {
            String bad = credentialProblem(found, vote);
            if (bad != null) {
                // Refused before anything else: without the person's own credential a vote learns nothing (not even
                // whether the intent is still waiting) and spends nothing (no TOTP attempt is counted).
                auditCounted("credential", vote, roles, bad);
                return VoteResult.refused(VoteResult.Refusal.CREDENTIAL, bad, state.wireName());
            }
        }
        if (state != State.PENDING) {
            String why = "late vote: the intent is already " + state.wireName();
            auditVote(vote, roles, false, why); // best effort: the intent has ended, nothing to deny
            return VoteResult.rejected(why, state.wireName());
        }
        String rejection = null;
        Intent proposed = proposal;
        Decision redecided = null;
        if (found.isEmpty()) {
            rejection = "unknown approver '" + vote.approverId() + "'";
        } else if (vote.approverId().equals(intent.agent())) {
            rejection = "the requesting agent cannot approve its own intent";
        } else if (vote.verdict() == Verdict.MORE_INFO) {
            rejection = moreInformationProblem(vote);
        } else if (!vote.edits().isEmpty() && vote.verdict() != Verdict.APPROVE) {
            rejection = "only an approve vote carries edits";
        } else if (!vote.edits().isEmpty()) {
            try {
                proposed = proposal.withArgs(ArgumentEdits.apply(proposal.args(), vote.edits()));
            } catch (IllegalArgumentException e) {
                rejection = "edit refused: " + e.getMessage();
            }
            // Edits that change nothing are a plain approval of the current proposal (two approvers sending the same edit).
            if (rejection == null && !proposed.argsDigest().equals(proposal.argsDigest())) {
                redecided = governor.decide(proposed);
                rejection = editProblem(redecided);
            }
        }
        if (rejection == null && vote.verdict() == Verdict.APPROVE && redecided == null && approvals.containsKey(vote.approverId())) {
            rejection = "'" + vote.approverId() + "' already approved; " + request.requiredApprovals() + " approvals need as many distinct approvers";
        }
        if (rejection == null && vote.verdict() == Verdict.APPROVE && request.mfaRequired()) {
            // Checked last, so a code is spent only by a vote that otherwise counts.
            VoteResult refused = checkMfa(found.get(), vote, roles);
            if (refused != null) return refused;
        }
        if (rejection != null) {
            auditVote(vote, roles, false, rejection + proposedEdits(vote)); // the record keeps what was proposed
            return VoteResult.rejected(rejection, state.wireName());
        }
        if (!auditVote(vote, roles, true, null)) return VoteResult.rejected("the vote could not be recorded", state.wireName());
        Approver approver = found.get();
        if (vote.verdict() == Verdict.DENY) {
            String why = vote.comment() == null || vote.comment().isBlank() ? "no reason given" : vote.comment();
            deny(DenialStage.APPROVAL, approver.id(), why, null);
            return VoteResult.accepted(state.wireName());
        }
        if (vote.verdict() == Verdict.MORE_INFO) {
            needsInformation(approver.id(), vote.comment().strip());
            return VoteResult.accepted(state.wireName());
        }
        for (Constraint c : vote.constraints()) {
            Optional<String> violation = c.violation(proposed.args());
            if (violation.isPresent()) {
                String limits = vote.constraints().stream().map(Constraint::describe).collect(Collectors.joining(", "));
                String why = "approves only with " + limits + ", but " + violation.get()
                        + (vote.comment() != null && !vote.comment().isBlank() ? " (" + vote.comment().strip() + ")" : "");
                deny(DenialStage.APPROVAL, approver.id(), why, limits);
                return VoteResult.accepted(state.wireName());
            }
        }
        if (redecided != null && !replaceProposal(approver.id(), proposed, redecided)) return VoteResult.accepted(state.wireName());
        approvals.put(approver.id(), approver);
        constraints.addAll(vote.constraints());
        if (satisfied()) grant(new ArrayList<>(approvals.keySet()));
        return VoteResult.accepted(state.wireName());
    }

    private static String proposedEdits(Vote vote) {
        if (vote.edits().isEmpty()) return "";
        try {
            return " (proposed edits: " + CanonicalJson.encode(vote.edits()) + ")";
        } catch (IllegalArgumentException e) {
            return " (proposed edits to " + vote.edits().keySet() + ")";
        }
    }

    private static String moreInformationProblem(Vote vote) {
        if (vote.comment() == null || vote.comment().isBlank()) return "a more_info vote needs the question to ask the agent (as its comment)";
        if (!vote.edits().isEmpty() || !vote.constraints().isEmpty()) return "a more_info vote asks a question; it carries no edits or limits";
        return null;
    }

    /**
     * Why the policy's decision on an edited call refuses the edit, or null. An edit must stay within the policy and
     * within what was asked: it may not lower the tier (an approver cannot launder a call into a cheaper path), and
     * it may not need more than the request asked for (more approvals, other roles, MFA, a higher tier), since those
     * who vote were asked for less: such a call is for the agent to request.
     */
    private String editProblem(Decision d) {
        if (d.effect() == Effect.DENY) {
            return "the policy denies the edited call: " + d.denyReasons().entrySet().stream()
                    .map(e -> "rule '" + e.getKey() + "': " + e.getValue()).collect(Collectors.joining("; "));
        }
        Tier asked = request.decision().tier();
        if (d.tier().compareTo(asked) < 0) return "an edit may not lower the tier below what was asked: " + d.tier() + " < " + asked;
        if (d.tier().compareTo(asked) > 0) return "an edit may not raise the tier above what was asked: " + d.tier() + " > " + asked + "; deny and let the agent ask for it";
        List<String> newRoles = d.requiredRoles().stream().filter(r -> !request.requiredRoles().contains(r)).toList();
        if (Governor.requiredApprovals(d) > request.requiredApprovals() || !newRoles.isEmpty() || Governor.mfaRequired(d) && !request.mfaRequired()) {
            return "the edited call needs more approval than was asked (" + Governor.requiredApprovals(d) + " approvals"
                    + (newRoles.isEmpty() ? "" : ", roles " + newRoles) + (Governor.mfaRequired(d) ? ", MFA" : "") + "); deny and let the agent ask for it";
        }
        return null;
    }

    /**
     * An accepted edit replaces the proposal: approvals given for the earlier values no longer count (they are named in
     * the ARGUMENTS_EDITED entry), and approvals from now on are for the edited values. False if it could not be recorded.
     */
    private boolean replaceProposal(String by, Intent edited, Decision redecided) {
        try {
            governor.record(intent.id(), new AuditPayload.ArgumentsEdited(by, intent.argsCanonicalJson(), edited.argsCanonicalJson(),
                    edited.argsDigest(), redecided.tier().name(), redecided.matchedRules(), List.copyOf(approvals.keySet())));
        } catch (RuntimeException e) {
            deny(DenialStage.AUDIT, "audit", "an edit could not be recorded: " + e, null);
            return false;
        }
        approvals.clear();
        constraints.clear();
        proposal = edited;
        editedBy = by;
        proposalNotice = request.withIntent(edited);
        return true;
    }

    private void needsInformation(String by, String question) {
        try {
            governor.record(intent.id(), new AuditPayload.InformationRequested(by, question));
        } catch (RuntimeException e) {
            deny(DenialStage.AUDIT, "audit", "a request for more information could not be recorded: " + e, null);
            return;
        }
        governor.informationRequested(intent);
        end(State.NEEDS_INFORMATION, null, new NeedsInformationException(intent.id(), intent.action(), by, question));
    }

    /** Why the vote does not carry its approver's own credential, or null when it does. Never quotes a secret. */
    private String credentialProblem(Optional<Approver> found, Vote vote) {
        if (found.isEmpty()) return "unknown approver '" + vote.approverId() + "'";
        Approver a = found.get();
        ApproverCredential proof = vote.credential();
        if (proof == null) return "a vote as '" + a.id() + "' must carry " + a.id() + "'s own credential (personal token or sign-in); it carried none";
        if (proof instanceof ApproverCredential.SignedIn s) {
            return s.approverId().equals(a.id()) ? null
                    : "signed in as '" + s.approverId() + "', not as '" + a.id() + "': a vote counts only as the person who cast it";
        }
        if (!a.hasToken()) {
            return "approver '" + a.id() + "' has no personal token enrolled (token_sha256 in the approver directory; "
                    + "mint one with 'magistrate approvers token'), so no vote as '" + a.id() + "' can count through backend '"
                    + governor.backend().name() + "'";
        }
        return a.tokenMatches(((ApproverCredential.PersonalToken) proof).token()) ? null
                : "the credential presented is not " + a.id() + "'s personal token";
    }

    /**
     * The TOTP check, rate-limited per approver ({@link dev.magistrate.approval.MfaVerifier}) and per intent
     * (at most {@link #MAX_WRONG_CODES_PER_INTENT} wrong codes in a row, then locked like an approver). Returns the
     * refusal, or null when the code is accepted. Wrong codes and locked attempts are counted; only lockout starts
     * are always written, the rest at the 1st, 2nd, 4th, 8th... occurrence, so a guessing loop cannot flood the log.
     */
    private VoteResult checkMfa(Approver approver, Vote vote, List<String> roles) {
        Instant now = governor.clock().instant();
        Instant intentLocked = intentLimiter.lockedUntil(now);
        if (intentLocked != null) {
            intentLimiter.refusedWhileLocked();
            String why = "TOTP approvals on this intent are locked after " + MAX_WRONG_CODES_PER_INTENT + " wrong codes in a row, for "
                    + Math.max(1, Duration.between(now, intentLocked).toSeconds()) + " more seconds (until " + intentLocked + "); no code is checked until then";
            auditCounted("locked:intent", vote, roles, why);
            return VoteResult.refused(VoteResult.Refusal.LOCKED, why, state.wireName());
        }
        MfaVerifier.Attempt a = governor.mfa().attempt(approver, vote.totpCode(), now);
        if (a.accepted()) {
            intentLimiter.success();
            return null;
        }
        String why = a.rejection();
        if (a.wrongCode()) {
            Instant started = intentLimiter.failure(now);
            if (started != null) {
                why = why + "; " + MAX_WRONG_CODES_PER_INTENT + " wrong codes in a row on this intent: TOTP approvals on it are locked until " + started;
            }
            if (a.lockoutStarted() != null || started != null) {
                auditVote(vote, roles, false, why + " (" + intentLimiter.failuresTotal() + " wrong codes on this intent in all)");
                return VoteResult.refused(VoteResult.Refusal.LOCKED, why, state.wireName());
            }
            auditCounted("wrong:" + approver.id(), vote, roles, why);
            return VoteResult.rejected(why, state.wireName());
        }
        if (a.locked()) {
            auditCounted("locked:" + approver.id(), vote, roles, why);
            return VoteResult.refused(VoteResult.Refusal.LOCKED, why, state.wireName());
        }
        auditCounted("mfa:" + approver.id(), vote, roles, why);
        return VoteResult.rejected(why, state.wireName());
    }

    /**
     * Counts a refused vote of one kind on this intent and writes the 1st, 2nd, 4th, 8th, ... of them, each with the
     * running count: a refusal is always visible, and a loop of a million adds about twenty entries. The keys are a
     * fixed kind and, at most, an approver id from the directory, so the map stays bounded.
     */
    private void auditCounted(String kind, Vote vote, List<String> roles, String why) {
        long n = refusalCounts.merge(kind, 1L, Long::sum);
        if (Long.bitCount(n) != 1) return;
        auditVote(vote, roles, false, n == 1 ? why : why + " (" + n + " refusals of this kind on this intent so far; "
                + "repeats are counted, and only the 1st, 2nd, 4th, 8th, ... are written)");
    }

    private boolean satisfied() {
        return request.satisfiedBy(approvals.values());
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
                // An authority that fails may have answered (a refused token, say): it did not decide, which is not "unreachable".
                String what = governor.backend() instanceof ApprovalAuthority ? "' could not get a decision: " : "' is unreachable: ";
                deny(DenialStage.BACKEND, governor.backend().name(), "approval backend '" + governor.backend().name() + what + reason, null);
            }
        } finally {
            lock.unlock();
        }
        runCompletion();
    }

    /**
     * The approval authority answered (an {@link dev.magistrate.approval.ApprovalAuthority}): each answer is recorded
     * (FLEET_ANSWER); a final one ends the intent like a vote would. An allow is granted only with a warrant that the
     * authority's pinned keys verify and that is bound to this call; anything else denies it.
     */
    @Override
    public void answered(Answer a) {
        lock.lock();
        try {
            if (state != State.PENDING) return;
            try {
                governor.recordAnswer(intent.id(), a);
            } catch (RuntimeException e) {
                deny(DenialStage.AUDIT, "audit", "the service's answer could not be recorded: " + e, null);
                return;
            }
            String service = "the fleet service (request " + a.requestId() + ", " + a.answeredBy() + ")";
            switch (a.status()) {
                case "pending" -> { }
                case "allow" -> grantFromAuthority(a, service);
                case "timed_out" -> deny(DenialStage.APPROVAL, "timeout", service + " timed the request out: "
                        + (a.reason() == null ? "no decision within its approval timeout" : a.reason()), null);
                case "denied" -> deny(DenialStage.APPROVAL, a.rule() != null ? a.rule() : "fleet service",
                        service + " denied it: " + (a.reason() == null ? "no reason given" : a.reason()), null);
                default -> deny(DenialStage.BACKEND, governor.backend().name(), service + " answered an unknown status '" + a.status() + "'", null);
            }
        } finally {
            lock.unlock();
        }
        runCompletion();
    }

    private void grantFromAuthority(Answer a, String service) {
        Warrant w;
        try {
            if (a.warrantJson() == null) throw new IllegalArgumentException("it answered allow without a warrant");
            w = governor.checkAuthorityWarrant(intent, a.requestId(), a.warrantJson());
        } catch (WarrantRejectedException e) {
            try {
                governor.record(intent.id(), new AuditPayload.WarrantRejected(e.warrantId(), e.getMessage()));
            } catch (RuntimeException auditFailure) {
                MagistrateLog.error(ApprovalSession.class, "could not audit a refused service warrant for intent " + intent.id(), auditFailure);
            }
            deny(DenialStage.VERIFICATION, e.reason().wireName(), service + " allowed it, but its warrant is refused: " + e.getMessage(), null);
            return;
        } catch (RuntimeException e) {
            deny(DenialStage.BACKEND, governor.backend().name(), service + " allowed it, but " + e.getMessage(), null);
            return;
        }
        try {
            governor.record(intent.id(), new AuditPayload.WarrantIssued(w.warrantId(), w.toJson(), w.approvedBy(), Warrant.timestamp(w.expiresAt())));
        } catch (RuntimeException e) {
            deny(DenialStage.AUDIT, "audit", "the service's warrant could not be recorded: " + e, null);
            return;
        }
        end(State.GRANTED, Authorization.unchanged(w, intent, request.decision()), null);
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
            governor.timedOut(intent);
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
            w = governor.issueAndRecord(proposal, request.decision(), approvedBy, List.copyOf(constraints));
        } catch (RuntimeException e) {
            deny(DenialStage.AUDIT, "audit", "the warrant could not be issued and recorded: " + e, null);
            return;
        }
        end(State.GRANTED, new Authorization(w, intent, proposal, editedBy, request.decision()), null);
    }

    private void end(State finalState, Authorization granted, DeniedException denial) {
        state = finalState;
        if (timeoutTask != null) timeoutTask.cancel(false);
        if (waitingLogTask != null) waitingLogTask.cancel(false);
        governor.ended(this);
        completion = () -> {
            if (granted != null) result.complete(granted);
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
