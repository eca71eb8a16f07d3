package dev.magistrate.governor;

import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApprovalAuthority;
import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApprovalBackends;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.MfaVerifier;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditObserver;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.AuditSink;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.Rollback;
import dev.magistrate.policy.Tier;
import dev.magistrate.signal.SignalBoard;
import dev.magistrate.warrant.ConsumedWarrantLedger;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantIssuer;
import dev.magistrate.warrant.WarrantRejectedException;
import dev.magistrate.warrant.WarrantVerifier;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The engine's one entry point: decides intents against the policy, routes those that need people
 * to the approval backend and enforces the approval rules, issues and verifies warrants, and
 * records every step in the audit trail before the step takes effect. Any error on the way to a
 * warrant becomes an audited denial. Thread-safe; waiting never holds a monitor, so virtual threads
 * that block in {@link #authorize} do not pin their carrier.
 */
public final class Governor implements AutoCloseable {

    private final AtomicReference<CompiledPolicy> policy;
    private final ApprovalBackend backend;
    /** The backend when it is an authority (the fleet service): calls it settles are verified with its keys; else null. */
    private final ApprovalAuthority authority;
    private volatile ApproverDirectory approvers;
    private final MfaVerifier mfa = new MfaVerifier();
    private final WarrantIssuer issuer;
    private final WarrantVerifier verifier;
    /** Verifies the authority's warrants with its pinned keys only, and spends them in this process's ledger too; or null. */
    private final WarrantVerifier authorityVerifier;
    private final AuditSink audit;
    private final AuditObserver observer;
    private final Clock clock;
    private final Duration defaultWarrantTtl;
    private final Duration defaultApprovalTimeout;
    private final ConsumedWarrantLedger ownedLedger;
    private final ScheduledExecutorService timer;
    private final Map<String, ApprovalSession> sessions = new ConcurrentHashMap<>();
    private final FollowUps followUps;
    private volatile List<ApprovalRequest> abandonedAtStart = List.of();
    private final DeferredCalls deferred = new DeferredCalls(this);
    private final Duration waitingLogInterval;
    private final SignalBoard signals;
    private final DenialStreaks streaks = new DenialStreaks();
    private volatile Shadow shadow;
    private final WindowCounters windows;
    private final List<PendingAtRestart.Waiting> waitingAtStart;
    /** Where the window counters are rebuilt from; null for an audit sink that is not a Chronicle log. */
    private final Path auditDirectory;
    private final BreakGlass breakGlass = new BreakGlass(this);

    private Governor(Builder b, KeyDirectory keys, ConsumedWarrantLedger ledger, boolean ownsLedger) {
        this.policy = new AtomicReference<>(b.policy);
        this.backend = b.backend;
        this.approvers = b.approvers;
        this.audit = b.audit;
        this.observer = b.observer;
        this.clock = b.clock;
        this.defaultWarrantTtl = b.defaultWarrantTtl;
        this.defaultApprovalTimeout = b.defaultApprovalTimeout;
        this.issuer = new WarrantIssuer(keys.warrantKeys(), clock, b.t0Algorithm);
        this.verifier = new WarrantVerifier(keys.warrantKeys(), ledger, clock, b.clockSkew);
        this.authority = b.backend instanceof ApprovalAuthority a ? a : null;
        this.windows = new WindowCounters(authority != null);
        this.authorityVerifier = authority == null ? null : new WarrantVerifier(authority.warrantKeys(), ledger, clock, b.clockSkew);
        this.ownedLedger = ownsLedger ? ledger : null;
        this.followUps = new FollowUps(clock);
        this.waitingLogInterval = b.waitingLogInterval;
        this.signals = b.signals;
        this.shadow = b.shadow;
        this.auditDirectory = b.audit instanceof ChronicleAuditLog log ? log.directory() : null;
        // One pass over the trail as the engine opens: the windows' counters, the break-glass grants, and the calls that
        // waited for approval when the process stopped (Magistrate.open abandons them once everything is in place).
        WindowCounters.Rebuild rebuild = windows.rebuild(auditDirectory, b.policy.windows(), clock.millis());
        Consumer<CanonicalEntry.Decoded> alongside = rebuild == null ? breakGlass::rebuild : rebuild.andThen(breakGlass::rebuild);
        Predicate<AuditEventType> alongsideWants = rebuild == null ? BreakGlass::reads : type -> rebuild.wants(type) || BreakGlass.reads(type);
        try {
            this.waitingAtStart = auditDirectory == null ? List.of() : PendingAtRestart.find(auditDirectory, alongsideWants, alongside);
        } catch (RuntimeException e) {
            throw rebuild == null ? e : rebuild.failed(e);
        }
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "magistrate-approval-timeouts");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Decides without side effects: no audit entry, no approval request. A policy that throws yields a fail-closed denial. */
    public Decision decide(Intent intent) {
        CompiledPolicy p = policy.get();
        return decide(intent, p, input(intent, p.windows().isEmpty() ? 0 : clock.millis()));
    }

    /**
     * What a decision reads: the intent, the signals as they are now, its agent's denial streak, and the sliding windows
     * at {@code nowMillis} (read only by a policy that has windows: one without pays nothing for them).
     */
    private DecisionInput input(Intent intent, long nowMillis) {
        return new DecisionInput(intent, signals.snapshot(), streaks.of(intent.agent()), windows, nowMillis);
    }

    private static Decision decide(Intent intent, CompiledPolicy p, DecisionInput in) {
        try {
            Decision d = p.decide(in);
            if (d == null) return Decision.failClosed("the policy returned no decision", p.version());
            return intent.minimumTier() == null ? d : d.atLeast(intent.minimumTier(), "minimum tier " + intent.minimumTier() + " set on the tool");
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            return Decision.failClosed("policy evaluation failed: " + e, safeVersion(p));
        }
    }

    private static String safeVersion(CompiledPolicy p) {
        try {
            return p.version();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Submits the intent and blocks until a warrant is granted, or throws {@link DeniedException}
     * when it is denied or times out ({@link NeedsInformationException} when an approver asked a question).
     * Interrupting the waiting thread abandons (and denies) the intent. The warrant binds the arguments as
     * approved, which differ from the intent's when an approver approved with changes: {@link #authorizeCall}
     * and {@link #admit} say what they are.
     */
    public Warrant authorize(Intent intent) {
        return authorizeCall(intent).warrant();
    }

    /** As {@link #authorize}, with the call as requested and as approved. */
    public Authorization authorizeCall(Intent intent) {
        return await(submit(intent, false), intent);
    }

    private Authorization await(CompletableFuture<Authorization> f, Intent intent) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ApprovalSession s = sessions.get(intent.id());
            if (s != null) s.abandon("the waiting thread was interrupted");
            try {
                return f.getNow(null); // granted in the meantime: the warrant stands, and the interrupt flag stays set
            } catch (RuntimeException denied) {
                throw unwrap(denied.getCause() != null ? denied.getCause() : denied, intent);
            }
        } catch (ExecutionException e) {
            throw unwrap(e.getCause(), intent);
        }
    }

    /**
     * Authorises the intent and verifies its warrant against the arguments as approved: the returned execution
     * says what they are ({@link Execution#args()}, {@link Execution#changes()}) and must be closed with the
     * call's outcome. When an approver changed arguments, the call must run with {@link Execution#args()}.
     */
    public Execution admit(Intent intent) {
        return admitted(intent, await(submit(intent, true), intent));
    }

    /**
     * As {@link #admit}, without holding the thread while people decide (approve later). A call the policy allows or
     * denies outright is admitted or denied at once, as with {@code admit}. A call that needs approval is submitted, and
     * {@link ApprovalPendingException} (carrying the intent id) is thrown at once: the call did not run. The same call
     * made again (same agent, action and argument digest) while approvers decide throws that again for the same intent;
     * made again after they approved, it is admitted with the warrant issued meanwhile (rechecked and verified like any
     * approved call: it runs once); after a denial, a timeout or a question, it throws that. {@link #status} and
     * {@link #whenDecided} tell an application when to make it again.
     */
    public Execution admitOrDefer(Intent intent) {
        return deferred.admit(intent);
    }

    /** Where a deferred call stands ({@link #admitOrDefer}); {@code UNKNOWN} for an intent this process does not hold. */
    public ApprovalStatus status(String intentId) {
        return deferred.status(intentId);
    }

    /** Completes when approvers have decided a deferred call (at once when they already have, or when it is unknown). */
    public CompletableFuture<ApprovalStatus> whenDecided(String intentId) {
        return deferred.whenDecided(intentId);
    }

    /** Recheck and verification of an authorised call, after which its body may run. */
    Execution admitted(Intent intent, Authorization a) {
        if (a.warrant() == null) return startGranted(a);
        // A grant's warrant was decided a moment ago, like a T0 one: its "approver" is the grant, not a person to recheck.
        if (!a.warrant().approvedBy().isEmpty() && !BreakGlass.issuedUnder(a.warrant())) recheck(a);
        Execution run = verify(intent.id(), a.warrant(), a.approved().action(), a.args(), a.requested().args(), a.editedBy());
        if (a.editedBy() != null) {
            MagistrateLog.info(Governor.class, "intent " + intent.id() + " runs with changes approved by " + a.editedBy() + ": "
                    + Authorization.describe(run.changes()));
        }
        return run;
    }

    /**
     * An approval can take an hour, and the policy or the approver directory can change meanwhile: just before the body
     * runs, the approved call is decided again with what is in force now. It does not run when the policy now denies it,
     * when it now needs more than the approvers gave (a higher tier, more approvals, other roles, MFA), or when an
     * approver who counted has left the directory or no longer holds a role that was needed; the denial names the policy
     * version that approved and the one that refused. A T0 grant is not rechecked: it was decided a moment ago.
     */
    private void recheck(Authorization a) {
        Intent call = a.approved();
        Decision then = a.decision(), now = decide(call);
        String versions = "approved under policy " + shortVersion(then) + ", refused under policy " + shortVersion(now);
        if (now.effect() == Effect.DENY) {
            Map.Entry<String, String> rule = now.denyReasons().entrySet().iterator().next();
            throw denyAudited(call, DenialStage.RECHECK, rule.getKey(), "the policy changed while the call waited and now denies it: "
                    + rule.getValue() + " (" + versions + "); the approval does not carry over", null, null);
        }
        if (now.effect() == Effect.APPROVE && (now.tier().compareTo(then.tier()) > 0 || requiredApprovals(now) > requiredApprovals(then)
                || (mfaRequired(now) && !mfaRequired(then)) || !then.requiredRoles().containsAll(now.requiredRoles()))) {
            throw denyAudited(call, DenialStage.RECHECK, String.join(", ", now.matchedRules()), "the policy changed while the call waited: it now "
                    + "needs " + terms(now) + ", and it was approved with " + terms(then) + " (" + versions + "); submit it again", null, null);
        }
        // The authority counted its approvers against its own directory, which this process does not hold.
        if (issuedByAuthority(a.warrant())) return;
        ApproverDirectory directory = approvers;
        Set<String> rolesHeld = new HashSet<>();
        for (String id : a.warrant().approvedBy()) {
            if (id.equals(ApprovalSession.AUTOMATIC_APPROVER)) continue;
            Optional<Approver> still = directory.find(id);
            if (still.isEmpty()) {
                throw denyAudited(call, DenialStage.RECHECK, id, "approver '" + id + "' left the approver directory while the call waited,"
                        + " so their approval no longer counts; submit it again", null, null);
            }
            rolesHeld.addAll(still.get().roles());
        }
        for (String role : then.requiredRoles()) {
            if (!a.warrant().approvedBy().contains(ApprovalSession.AUTOMATIC_APPROVER) && !rolesHeld.contains(role)) {
                throw denyAudited(call, DenialStage.RECHECK, null, "no approver who approved still holds the role '" + role
                        + "' the approval needed (the approver directory changed while the call waited); submit it again", null, null);
            }
        }
    }

    private static String shortVersion(Decision d) {
        String v = d.policyVersion();
        return v == null ? "unknown" : v.length() > 12 ? v.substring(0, 12) : v;
    }

    private static String terms(Decision d) {
        return d.tier() + " (" + requiredApprovals(d) + " approvals" + (d.requiredRoles().isEmpty() ? "" : ", roles " + d.requiredRoles())
                + (mfaRequired(d) ? ", MFA" : "") + ")";
    }

    /**
     * Whether a rollback's condition holds for a call that ran (as it ran: {@code original} with the arguments it ran with),
     * on the signals as they are now: the dynamic values the condition read ({@code name=value}) when it holds, else null.
     * A condition that fails to evaluate does not hold (a rollback is a change of its own: nothing runs on an error).
     */
    public List<String> rollbackHolds(Rollback rollback, Intent original) {
        DecisionInput in = new DecisionInput(original, signals.snapshot(), streaks.of(original.agent()), windows, clock.millis());
        try {
            return rollback.holds(in) ? in.read() : null;
        } catch (RuntimeException e) {
            MagistrateLog.warn(Governor.class, rollback + " could not be evaluated for intent " + original.id(), e);
            return null;
        }
    }

    /** Records that a call's rollback was triggered, under the original call's intent id. */
    public void recordRollback(String originalIntentId, AuditPayload.RollbackTriggered triggered) {
        record(originalIntentId, triggered);
    }

    /** Puts a new approver directory in force: votes from now on, and the recheck before an approved call runs, use it. */
    public void replaceApprovers(ApproverDirectory next) {
        approvers = Objects.requireNonNull(next, "next");
    }

    RuntimeException unwrap(Throwable t, Intent intent) {
        if (t instanceof DeniedException d) return d;
        return new DeniedException(intent.id(), intent.action(), DenialStage.APPROVAL, null, "internal error: " + t, null, t);
    }

    /** Submits the intent; the future completes with a warrant or fails with {@link DeniedException}. */
    public CompletableFuture<Warrant> authorizeAsync(Intent intent) {
        return submit(intent, false).thenApply(Authorization::warrant);
    }

    /** The request that a waiting intent's approvers see, or null when it does not wait. */
    ApprovalRequest waitingRequest(String intentId) {
        ApprovalSession s = sessions.get(intentId);
        return s == null ? null : s.request();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /**
     * Submits the intent. With {@code grantInProcess}, a T0 allow is granted without a warrant ({@link Authorization#warrant()}
     * null): the call runs in this process at once, so one CALL_GRANTED entry (submitted, decided and started), durable before
     * the body runs, is its authorisation and there is nothing to sign, present or spend. Without it (a caller that wants the
     * warrant itself), one is issued. Every other call is recorded step by step: INTENT_SUBMITTED, DECISION, and so on.
     */
    CompletableFuture<Authorization> submit(Intent submitted, boolean grantInProcess) {
        Objects.requireNonNull(submitted, "intent");
        Intent intent = followUps.link(submitted);
        if (sessions.containsKey(intent.id())) {
            return CompletableFuture.failedFuture(new DeniedException(intent.id(), intent.action(), DenialStage.APPROVAL, null,
                    "this intent is already awaiting approval; submit a new intent for a new call", null, null));
        }
        CompiledPolicy p = policy.get();
        Decision d;
        DecisionInput in;
        List<String> windowSpend = List.of();
        long now = 0;
        BreakGlass.Cover cover;
        if (p.windows().isEmpty()) {
            in = input(intent, now);
            d = decide(intent, p, in);
            cover = breakGlass.cover(intent.action(), d, p);
        } else {
            // Decide and reserve as one step, so that two calls decided at once cannot both spend the last of a budget.
            synchronized (windows) {
                p = policy.get(); // the version in force under the lock: a reload swaps its windows under the same lock
                now = clock.millis();
                in = input(intent, now);
                d = decide(intent, p, in);
                cover = breakGlass.cover(intent.action(), d, p);
                // A deny a grant overrides runs like any granted call: it spends from the windows as one.
                if (d.effect() != Effect.DENY || cover.overrides()) {
                    try {
                        windowSpend = windows.reserve(intent, p.windows(), now);
                    } catch (RuntimeException e) {
                        cover = BreakGlass.Cover.NONE;
                        d = Decision.failClosed("what this call adds to the policy's windows cannot be computed (" + e.getMessage()
                                + "): denied to be safe", p.version());
                    }
                }
            }
        }
        AuditPayload.IntentSubmitted asked = submitted(intent);
        AuditPayload.Decision decided = new AuditPayload.Decision(intent.action(), d.tier().name(), d.effect().wireName(), d.matchedRules(),
                d.policyVersion(), d.requiredApprovals(), d.requiredRoles(), d.mfaRequired(), d.explain(),
                d.denyReasons().isEmpty() ? List.of() : List.copyOf(d.denyReasons().keySet()), in.read(), windowSpend);
        if (grantInProcess && d.effect() == Effect.ALLOW && d.tier() == Tier.T0 && !settledByAuthority(d, in)) {
            // Submitted, decided and started in one write-ahead entry: durable before the body runs, it is the authorisation.
            try {
                record(intent.id(), new AuditPayload.CallGranted(asked, decided));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.AUDIT, "audit", "the grant could not be recorded: " + e, null, e));
            }
            shadowDecide(intent, d, in);
            streaks.granted(intent.agent());
            return CompletableFuture.completedFuture(Authorization.granted(intent, d));
        }
        try {
            record(intent.id(), asked);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.AUDIT, "audit", "the submission could not be recorded: " + e, null, e));
        }
        try {
            record(intent.id(), decided);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.AUDIT, "audit", "the decision could not be recorded: " + e, null, e));
        }
        shadowDecide(intent, d, in);
        // With the fleet service as the authority, a local grant never bypasses it: the service decides (fail closed).
        if (cover.overrides() && authority == null) {
            CompletableFuture<Authorization> underGrant = underGrant(intent, d, cover.grant());
            if (underGrant != null) return underGrant;
        }
        if (d.effect() == Effect.DENY) {
            List<Map.Entry<String, String>> reasons = new ArrayList<>(d.denyReasons().entrySet());
            StringBuilder why = new StringBuilder(withBudgets(p, reasons.get(0), intent, now));
            for (int i = 1; i < reasons.size(); i++) {
                if (why.charAt(why.length() - 1) == '.') why.setLength(why.length() - 1);
                why.append("; rule '").append(reasons.get(i).getKey()).append("' also denies: ").append(withBudgets(p, reasons.get(i), intent, now));
            }
            if (cover.refusal() != null) {
                if (why.charAt(why.length() - 1) == '.') why.setLength(why.length() - 1);
                why.append(" (break-glass grant ").append(cover.grant().id()).append(" covers this action, but ").append(cover.refusal()).append(')');
            }
            return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.POLICY, reasons.get(0).getKey(), why.toString(), null, null));
        }
        if (settledByAuthority(d, in)) return requestApproval(intent, d);
        if (d.effect() == Effect.ALLOW) {
            try {
                return CompletableFuture.completedFuture(Authorization.unchanged(issueAndRecord(intent, d, List.of(), List.of()), intent, d));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.AUDIT, "audit", "the warrant could not be issued and recorded: " + e, null, e));
            }
        }
        return requestApproval(intent, d);
    }

    /**
     * Where a call the local policy does not deny is settled: true sends it to the approval authority (the fleet service,
     * {@code magistrate.approvals=remote}), which decides it again and signs its warrant; false settles it here. The one
     * place that chooses: a T0 allow stays local (no round trip) unless it read a fleet-wide window, whose counter only the
     * service keeps; everything else goes to the authority when there is one.
     */
    private boolean settledByAuthority(Decision d, DecisionInput in) {
        return authority != null && (!(d.effect() == Effect.ALLOW && d.tier() == Tier.T0) || in.readFleetWindow());
    }

    /** Whether the authority signed this warrant (its key id is among the authority's pinned keys); false without one. */
    private boolean issuedByAuthority(Warrant w) {
        return authority != null && authority.warrantKeys().key(w.keyId()).isPresent();
    }

    /**
     * A live grant lets the call through without approvals: one use is taken (atomically), BREAK_GLASS_USED is written,
     * then a warrant naming the grant. Null when the grant was used up, expired or reviewed meanwhile: the call then goes
     * on as decided.
     */
    private CompletableFuture<Authorization> underGrant(Intent intent, Decision d, BreakGlass.Grant grant) {
        int left = breakGlass.take(grant);
        if (left < 0) return null;
        try {
            record(intent.id(), new AuditPayload.BreakGlassUsed(grant.id(), d.effect().wireName(), BreakGlass.overridden(d), left));
            Warrant w = issueAndRecord(intent, d, List.of(BreakGlass.APPROVER_PREFIX + grant.id()), List.of());
            MagistrateLog.warn(Governor.class, "intent " + intent.id() + " (" + intent.action() + ") runs under break-glass grant " + grant.id()
                    + " opened by " + grant.openedBy() + " without " + (d.effect() == Effect.DENY ? "its denial" : "approvals") + "; "
                    + left + " use(s) left", null);
            return CompletableFuture.completedFuture(Authorization.unchanged(w, intent, d));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(denyAudited(intent, DenialStage.AUDIT, "audit",
                    "the break-glass use could not be recorded: " + e, null, e));
        }
    }

    /** Break-glass grants: open, review, list ({@link BreakGlass}). */
    public BreakGlass breakGlass() {
        return breakGlass;
    }

    /**
     * The shadow decides the same input at the same moment; where its effect or tier differs from the live decision, a
     * SHADOW_DECISION entry says what it would have done. Nothing here can change or fail the call: a shadow that throws
     * or cannot decide is recorded as such, and a failure to record it is only logged.
     */
    private void shadowDecide(Intent intent, Decision live, DecisionInput liveInput) {
        Shadow sh = shadow;
        if (sh == null) return;
        DecisionInput in = liveInput.again();
        try {
            Decision s = decide(intent, sh.policy(), in);
            String error = s.denyReasons().get(Decision.FAIL_CLOSED);
            if (error != null && sh.warned().compareAndSet(false, true)) {
                MagistrateLog.warn(Governor.class, "the shadow policy (" + sh.source() + ") cannot decide; it never affects a call: " + error, null);
            }
            if (s.effect() == live.effect() && s.tier() == live.tier()) return;
            record(intent.id(), new AuditPayload.ShadowDecision(s.effect().wireName(), s.tier().name(), s.matchedRules(),
                    s.policyVersion(), sh.source(), error));
        } catch (RuntimeException | LinkageError e) {
            MagistrateLog.error(Governor.class, "shadow decision for intent " + intent.id() + " not recorded; the call is unaffected", e);
        }
    }

    /**
     * A policy deciding beside the live one, never in its place: {@code source} is {@code rules} for the live files'
     * shadow rules, {@code policy} for a separate shadow policy set.
     */
    public static final class Shadow {
        /** {@link #source()} of the live files' shadow rules, and of a separate shadow policy set. */
        public static final String RULES = "rules", POLICY = "policy";

        private final CompiledPolicy policy;
        private final String source;
        private final AtomicBoolean warned = new AtomicBoolean();

        public Shadow(CompiledPolicy policy, String source) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.source = Objects.requireNonNull(source, "source");
        }

        public CompiledPolicy policy() {
            return policy;
        }

        public String source() {
            return source;
        }

        /** Set once the shadow's failure has been logged: one warning, not one per call. */
        AtomicBoolean warned() {
            return warned;
        }
    }

    /** Puts a shadow policy beside the live one for decisions from now on, or removes it (null). */
    public void replaceShadow(Shadow next) {
        shadow = next;
    }

    public Shadow shadow() {
        return shadow;
    }

    /** The signals decisions read ({@code signal.NAME}). */
    public SignalBoard signals() {
        return signals;
    }

    /**
     * A denying rule's reason, followed by the state of each window its condition reads: which budget, how much of it
     * is used and when the oldest part frees. Only totals the policy author asked for, never an argument's value.
     */
    private String withBudgets(CompiledPolicy p, Map.Entry<String, String> denial, Intent intent, long now) {
        List<dev.magistrate.policy.Window> used = p.windowsOf(denial.getKey());
        if (used.isEmpty()) return denial.getValue();
        StringBuilder sb = new StringBuilder(denial.getValue());
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '.') sb.setLength(sb.length() - 1);
        sb.append(" (");
        for (int i = 0; i < used.size(); i++) sb.append(i == 0 ? "" : "; ").append(windows.describe(used.get(i), intent, now));
        return sb.append(')').toString();
    }

    /** How many approvals a decision needs: the policy's number, else its tier's default, and never none. */
    static int requiredApprovals(Decision d) {
        return ApprovalRequest.requiredApprovals(d);
    }

    static boolean mfaRequired(Decision d) {
        return ApprovalRequest.mfaRequired(d);
    }

    private CompletableFuture<Authorization> requestApproval(Intent intent, Decision d) {
        Duration timeout = d.approvalTimeout().isZero() || d.approvalTimeout().isNegative() ? defaultApprovalTimeout : d.approvalTimeout();
        ApprovalRequest request = ApprovalRequest.of(intent, d, clock.instant().plus(timeout));
        ApprovalSession session = new ApprovalSession(this, request, timeout);
        if (sessions.putIfAbsent(intent.id(), session) != null) {
            return CompletableFuture.failedFuture(new DeniedException(intent.id(), intent.action(), DenialStage.APPROVAL, null,
                    "this intent is already awaiting approval; submit a new intent for a new call", null, null));
        }
        try {
            record(intent.id(), new AuditPayload.ApprovalRequested(backend.name(), request.requiredApprovals(), d.requiredRoles(), timeout.toMillis()));
        } catch (RuntimeException e) {
            session.deny(DenialStage.AUDIT, "audit", "the approval request could not be recorded: " + e, null);
            return session.result();
        }
        session.startTimer(timer);
        try {
            if (authority != null) authority.submit(request, session);
            else backend.request(request, session);
        } catch (Exception | LinkageError e) {
            // The denial message already names the backend; the reason is what it said, readable by a model.
            String why = e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.getClass().getSimpleName();
            session.deny(DenialStage.BACKEND, backend.name(), why, null);
        }
        session.startWaitingLog(timer, waitingLogInterval);
        return session.result();
    }

    /**
     * Checks the warrant against the call about to run and uses it up; the returned {@link Execution}
     * must then be closed with the outcome. Throws {@link DeniedException} (stage verification) with the
     * precise rejection reason, after auditing it.
     */
    public Execution verify(Warrant warrant, String action, Map<String, ?> args) {
        return verify(warrant.intentId(), warrant, action, args, args, null);
    }

    /**
     * {@code intentId}: the local intent the entries go under (an authority's warrant names its own request id). A warrant
     * the authority signed is checked with its pinned keys only, used up in this process's ledger, then spent at the
     * authority (single use across the fleet) before the call starts.
     */
    private Execution verify(String intentId, Warrant warrant, String action, Map<String, ?> args, Map<String, ?> requested, String changedBy) {
        boolean fromAuthority = issuedByAuthority(warrant);
        try {
            (fromAuthority ? authorityVerifier : verifier).verifyAndConsume(warrant, action, args);
            if (fromAuthority) authority.spend(warrant);
        } catch (WarrantRejectedException e) {
            throw rejected(intentId, warrant.warrantId(), action, e);
        }
        started(intentId, warrant.warrantId(), action);
        return new Execution(this, intentId, warrant, readOnly(requested), readOnly(args), changedBy, System.nanoTime());
    }

    /** After the body: tells the authority how a call it authorised ended (best effort: the local trail has it already). */
    void ended(Warrant warrant, boolean succeeded, String resultSha256) {
        if (warrant == null || !issuedByAuthority(warrant)) return;
        try {
            authority.confirm(warrant, succeeded, resultSha256);
        } catch (RuntimeException e) {
            MagistrateLog.warn(Governor.class, "the outcome of intent " + warrant.intentId() + " could not be confirmed at '" + authority.name()
                    + "' (it is in the local audit trail)", e);
        }
    }

    /**
     * The authority's final answer for a call: checks its warrant with the pinned keys and that it is bound to this call
     * (the request id the authority gave this agent, the action, the arguments' digest, not expired), without spending it.
     */
    Warrant checkAuthorityWarrant(Intent intent, String requestId, String warrantJson) {
        Warrant w = Warrant.fromJson(warrantJson);
        if (!w.intentId().equals(requestId)) {
            throw new WarrantRejectedException(dev.magistrate.warrant.RejectionReason.MALFORMED, w.warrantId(),
                    "issued for request " + w.intentId() + ", not for this call's request " + requestId);
        }
        if (!issuedByAuthority(w)) {
            throw new WarrantRejectedException(dev.magistrate.warrant.RejectionReason.UNKNOWN_KEY, w.warrantId(),
                    "signed with key '" + w.keyId() + "', which is not among the service's pinned keys " + authority.warrantKeys().keyIds());
        }
        if (w.approvedBy().contains(intent.agent())) {
            throw new WarrantRejectedException(dev.magistrate.warrant.RejectionReason.MALFORMED, w.warrantId(),
                    "names the requesting agent " + intent.agent() + " among its approvers");
        }
        authorityVerifier.checkWithoutConsuming(w, intent.action(), intent.args());
        return w;
    }

    /** A T0 call granted in this process (see {@link #submit}): its CALL_GRANTED entry recorded the start; no warrant involved. */
    private Execution startGranted(Authorization a) {
        Intent call = a.approved();
        Map<String, Object> args = call.args(); // the intent's own read-only snapshot, the one the policy decided on
        return new Execution(this, call.id(), null, args, args, null, System.nanoTime());
    }

    private static Map<String, Object> readOnly(Map<String, ?> args) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /** As {@link #verify(Warrant, String, Map)}, for a warrant in its JSON form (from a file, another process, the CLI). */
    public Execution verify(String warrantJson, String action, Map<String, ?> args) {
        Warrant w;
        try {
            w = Warrant.fromJson(warrantJson);
        } catch (WarrantRejectedException e) {
            throw rejected("unknown", e.warrantId(), action, e);
        }
        return verify(w, action, args);
    }

    private DeniedException rejected(String intentId, String warrantId, String action, WarrantRejectedException e) {
        try {
            record(intentId, new AuditPayload.WarrantRejected(warrantId, e.getMessage()));
        } catch (RuntimeException auditFailure) {
            MagistrateLog.error(Governor.class, "could not audit a rejected warrant for intent " + intentId, auditFailure);
        }
        return new DeniedException(intentId, action, DenialStage.VERIFICATION, e.reason().wireName(), e.detail(), null, e);
    }

    /** Records that the call starts under its verified warrant (a T0 grant's CALL_GRANTED entry records its start itself). */
    private void started(String intentId, String warrantId, String action) {
        try {
            record(intentId, new AuditPayload.WarrantVerified(warrantId, "valid for this call"));
            record(intentId, new AuditPayload.ExecutionStarted(warrantId));
        } catch (RuntimeException e) {
            try {
                record(intentId, new AuditPayload.IntentDenied("execution could not be recorded: " + e, "audit",
                        DenialStage.AUDIT.wireName()));
            } catch (RuntimeException again) {
                MagistrateLog.error(Governor.class, "audit trail failing; intent " + intentId + " denied unrecorded", again);
            }
            throw new DeniedException(intentId, action, DenialStage.AUDIT, "audit", "execution could not be recorded: " + e, null, e);
        }
    }

    /**
     * Replaces the policy for decisions from now on; deciders never wait for the swap, except that decisions of a policy
     * with windows wait while a window new to this process is rebuilt from the audit trail.
     */
    public void replacePolicy(CompiledPolicy next) {
        Objects.requireNonNull(next, "policy");
        CompiledPolicy previous;
        if (next.windows().isEmpty() && policy.get().windows().isEmpty()) {
            previous = policy.getAndSet(next);
        } else {
            // Windows the new version shares with the old keep their counters; new ones are rebuilt from the audit trail.
            synchronized (windows) {
                windows.track(auditDirectory, next.windows(), clock.millis());
                previous = policy.getAndSet(next);
            }
        }
        MagistrateLog.info(Governor.class, "policy replaced: " + safeVersion(previous) + " -> " + safeVersion(next));
    }

    public CompiledPolicy policy() {
        return policy.get();
    }

    public ApprovalBackend approvalBackend() {
        return backend;
    }

    /** Intents currently waiting for votes. */
    public int pendingApprovals() {
        return sessions.size();
    }

    /** Denies whatever still waits, stops the timeout thread, closes the backend and the ledger it opened. */
    @Override
    public void close() {
        for (ApprovalSession s : new ArrayList<>(sessions.values())) s.abandon("the governor was shut down");
        timer.shutdownNow();
        try {
            backend.close();
        } catch (RuntimeException e) {
            MagistrateLog.warn(Governor.class, "approval backend did not close cleanly", e);
        }
        if (ownedLedger != null) ownedLedger.close();
    }

    // ---- used by ApprovalSession and Execution ----

    Warrant issueAndRecord(Intent intent, Decision d, List<String> approvedBy, List<dev.magistrate.warrant.Constraint> constraints) {
        Duration ttl = d.warrantTtl().isZero() || d.warrantTtl().isNegative() ? defaultWarrantTtl : d.warrantTtl();
        Warrant w = issuer.issue(intent, d.tier(), approvedBy, constraints, ttl);
        record(intent.id(), new AuditPayload.WarrantIssued(w.warrantId(), w.toJson(), approvedBy, Warrant.timestamp(w.expiresAt())));
        streaks.granted(intent.agent());
        return w;
    }

    /** Records the denial (best effort: the denial stands even if the audit trail is failing) and returns the exception for the caller. */
    DeniedException denyAudited(Intent intent, DenialStage stage, String by, String reason, String allowedInstead, Throwable cause) {
        streaks.denied(intent.agent());
        try {
            record(intent.id(), new AuditPayload.IntentDenied(reason, by, stage.wireName()));
        } catch (RuntimeException e) {
            MagistrateLog.error(Governor.class, "audit trail failing; intent " + intent.id() + " denied unrecorded", e);
        }
        return new DeniedException(intent.id(), intent.action(), stage, by, reason, allowedInstead, cause);
    }

    /** The intents that waited for approval when the process last stopped, read from the trail when this governor was built. */
    public List<PendingAtRestart.Waiting> waitingAtStart() {
        return waitingAtStart;
    }

    /**
     * Records each intent that waited for approval when the process last stopped as {@code INTENT_ABANDONED} (its caller
     * is gone, so it can never run), lets a call made again with the same agent, action and arguments follow it, and
     * lends the rebuilt requests to the approval backend ({@link ApprovalContext#abandonedAtStart}). Called once, on start,
     * before the backend is attached.
     *
     * @throws RuntimeException when the audit trail cannot record an abandonment
     */
    public void abandon(List<PendingAtRestart.Waiting> waiting) {
        List<ApprovalRequest> shown = new ArrayList<>();
        for (PendingAtRestart.Waiting w : waiting) {
            record(w.intentId(), new AuditPayload.IntentAbandoned("the process stopped while the call waited for approval (requested "
                    + w.requestedAt() + "); its caller is gone, so it can never run"));
            followUps.abandoned(w.intentId(), w.agent(), w.action(), w.argsDigest());
            if (w.request() != null) shown.add(w.request());
        }
        abandonedAtStart = List.copyOf(shown);
        if (!waiting.isEmpty()) {
            MagistrateLog.warn(Governor.class, waiting.size() + " intent(s) waited for approval when the process last stopped; recorded as"
                    + " abandoned: " + String.join(", ", waiting.stream().map(w -> w.intentId() + " (" + w.action() + ")").toList()), null);
        }
    }

    /**
     * A call that could not be governed at all ({@link DenialStage#UNGOVERNABLE}) did not run: it is recorded as submitted and
     * denied, so the audit trail shows every attempt, and the exception for the caller is returned.
     */
    public DeniedException refuse(Intent intent, String reason) {
        try {
            record(intent.id(), submitted(intent));
        } catch (RuntimeException e) {
            MagistrateLog.error(Governor.class, "audit trail failing; intent " + intent.id() + " refused unrecorded", e);
        }
        return denyAudited(intent, DenialStage.UNGOVERNABLE, null, reason, null, null);
    }

    private static AuditPayload.IntentSubmitted submitted(Intent intent) {
        return new AuditPayload.IntentSubmitted(intent.action(), intent.resource(), intent.agent(),
                intent.justification(), intent.urgency(), intent.estimatedCost() == null ? null : String.valueOf(intent.estimatedCost()),
                intent.rollbackPlan(), intent.argsCanonicalJson(), intent.argsDigest(), intent.parentIntentId());
    }

    void record(String intentId, AuditPayload payload) {
        windows.recorded(intentId, payload.type()); // first: a denial gives its reservation back even when the trail is failing
        AuditEvent event = AuditEvent.of(intentId, clock.instant(), payload);
        if (observer == AuditObserver.NONE) {
            audit.append(event);
            return;
        }
        long started = System.nanoTime();
        audit.append(event);
        try {
            observer.appended(intentId, payload, System.nanoTime() - started);
        } catch (RuntimeException | LinkageError e) {
            // Telemetry only watches: whatever it throws, the entry is written and the call goes on as decided.
            MagistrateLog.warn(Governor.class, "the audit observer failed on a " + payload.type() + " entry", e);
        }
    }

    /** What the approval backend is lent to authenticate people and audit their attempts ({@link ApprovalBackend#attach}). */
    public ApprovalContext approvalContext() {
        return new ApprovalContext() {
            @Override
            public ApproverDirectory approvers() {
                return approvers;
            }

            @Override
            public Clock clock() {
                return clock;
            }

            @Override
            public void recordAccess(String channel, String subject, boolean allowed, String intent, String detail) {
                record(AuditPayload.Access.ACCESS_INTENT_ID, new AuditPayload.Access(channel, subject, allowed, intent, detail));
            }

            @Override
            public List<ApprovalRequest> abandonedAtStart() {
                return abandonedAtStart;
            }

            @Override
            public Optional<Path> auditDirectory() {
                return audit instanceof ChronicleAuditLog log ? Optional.of(log.directory()) : Optional.empty();
            }

            @Override
            public Optional<BreakGlass> breakGlass() {
                return Optional.of(breakGlass);
            }
        };
    }

    void ended(ApprovalSession s) {
        sessions.remove(s.intentId(), s);
    }

    /** An approver asked this intent's agent a question: its next call of the same action is the answer. */
    void informationRequested(Intent intent) {
        followUps.expectAnswer(intent);
    }

    ApproverDirectory approvers() {
        return approvers;
    }

    /** A call that waited for approval in vain counts as denied for {@code agent.denials_in_a_row}. */
    void timedOut(Intent intent) {
        streaks.denied(intent.agent());
    }

    MfaVerifier mfa() {
        return mfa;
    }

    Clock clock() {
        return clock;
    }

    ApprovalBackend backend() {
        return backend;
    }

    /** The record of an authority's answer (FLEET_ANSWER). */
    void recordAnswer(String intentId, dev.magistrate.approval.AuthorityVerdicts.Answer a) {
        record(intentId, new AuditPayload.FleetAnswer(a.requestId(), a.status(), a.answeredBy(), a.approvedBy(), a.rule(), a.reason()));
    }

    public static final class Builder {
        private CompiledPolicy policy;
        private ApprovalBackend backend;
        private ApproverDirectory approvers = ApproverDirectory.of(List.of());
        private KeyDirectory keys;
        private ConsumedWarrantLedger ledger;
        private Path stateDirectory;
        private AuditSink audit;
        private AuditObserver observer = AuditObserver.NONE;
        private Clock clock = Clock.systemUTC();
        private SignatureAlgorithm t0Algorithm = SignatureAlgorithm.HMAC_SHA256;
        private Duration defaultWarrantTtl = Duration.ofMinutes(1);
        private Duration defaultApprovalTimeout = Duration.ofMinutes(15);
        private Duration clockSkew = WarrantVerifier.DEFAULT_CLOCK_SKEW;
        private Duration waitingLogInterval = Duration.ofSeconds(30);
        private SignalBoard signals = new SignalBoard();
        private Shadow shadow;

        private Builder() {
        }

        public Builder policy(CompiledPolicy policy) { this.policy = policy; return this; }

        public Builder approvalBackend(ApprovalBackend backend) { this.backend = backend; return this; }

        /** Selects a backend by name among the {@code ServiceLoader} providers ({@code programmatic}, {@code auto}, ...). */
        public Builder approvalBackend(String name, Map<String, String> settings) {
            this.backend = ApprovalBackends.create(name, settings);
            return this;
        }

        public Builder approvers(ApproverDirectory approvers) { this.approvers = approvers; return this; }

        public Builder keys(KeyDirectory keys) { this.keys = keys; return this; }

        public Builder ledger(ConsumedWarrantLedger ledger) { this.ledger = ledger; return this; }

        /** Keys in {@code dir/keys} (created if absent) and the consumed-warrant ledger in {@code dir/consumed-warrants.log}. */
        public Builder stateDirectory(Path dir) { this.stateDirectory = dir; return this; }

        public Builder audit(AuditSink audit) { this.audit = audit; return this; }

        /** Told of each entry after it is appended (telemetry); {@link AuditObserver#NONE} by default. */
        public Builder observer(AuditObserver observer) { this.observer = Objects.requireNonNull(observer, "observer"); return this; }

        public Builder clock(Clock clock) { this.clock = clock; return this; }

        /** HMAC-SHA256 by default; Ed25519 when T0 warrants must be verifiable outside the process. */
        public Builder t0Algorithm(SignatureAlgorithm algorithm) { this.t0Algorithm = algorithm; return this; }

        /** Used when the decision sets no warrant lifetime. */
        public Builder defaultWarrantTtl(Duration ttl) { this.defaultWarrantTtl = ttl; return this; }

        /** Used when the decision sets no approval timeout. */
        public Builder defaultApprovalTimeout(Duration timeout) { this.defaultApprovalTimeout = timeout; return this; }

        public Builder clockSkew(Duration skew) { this.clockSkew = skew; return this; }

        /** The signals decisions read; a board of its own by default. */
        public Builder signals(SignalBoard signals) { this.signals = Objects.requireNonNull(signals, "signals"); return this; }

        /** A policy that decides beside the live one and is only audited where it differs; none by default. */
        public Builder shadow(Shadow shadow) { this.shadow = shadow; return this; }

        /** How often a call still waiting for approval is logged again (30 s by default; at least 1 s, at most 1 hour). */
        public Builder waitingLogInterval(Duration interval) {
            if (interval.compareTo(Duration.ofSeconds(1)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("the waiting log interval must be between 1 s and 1 hour, got " + interval);
            }
            this.waitingLogInterval = interval;
            return this;
        }

        public Governor build() {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(backend, "approval backend");
            Objects.requireNonNull(audit, "audit sink");
            Objects.requireNonNull(approvers, "approvers");
            if (defaultWarrantTtl.isZero() || defaultWarrantTtl.isNegative()) throw new IllegalArgumentException("default warrant ttl must be positive");
            if (defaultApprovalTimeout.isZero() || defaultApprovalTimeout.isNegative()) throw new IllegalArgumentException("default approval timeout must be positive");
            KeyDirectory k = keys;
            ConsumedWarrantLedger l = ledger;
            boolean ownsLedger = false;
            if (stateDirectory != null) {
                if (k == null) k = KeyDirectory.openOrCreate(stateDirectory.resolve("keys"));
                if (l == null) {
                    l = ConsumedWarrantLedger.open(stateDirectory.resolve("consumed-warrants.log"), clock);
                    ownsLedger = true;
                }
            }
            Objects.requireNonNull(k, "keys (or a state directory)");
            Objects.requireNonNull(l, "ledger (or a state directory)");
            return new Governor(this, k, l, ownsLedger);
        }
    }
}
