package dev.magistrate.engine;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApprovalBackends;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.Durability;
import dev.magistrate.fleet.CheckpointShipper;
import dev.magistrate.fleet.RemoteApprovals;
import dev.magistrate.governor.ApprovalStatus;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.governor.Governor;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.Window;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.telemetry.DefaultTelemetry;
import dev.magistrate.signal.SignalBoard;
import dev.magistrate.signal.SignalsJmx;
import dev.magistrate.warrant.ConsumedWarrantLedger;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.time.Clock;

/**
 * A running Magistrate: the one place that assembles the engine. It opens, in order, the key
 * directory, the audit log (signed by the log keys), the consumed-warrant ledger beside it, the
 * approval backend and the governor, and closes them in reverse order. The agent, the command line
 * and library users all start it here.
 * <pre>
 * try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(Path.of("policy.yaml")).build())) {
 *     Execution run = m.admit(m.intent("scale_service").arg("service", "web").arg("instances", 25).build());
 *     run.completed(scale("web", 25));
 * } // DeniedException: worded for the agent, already audited
 * </pre>
 */
public final class Magistrate implements AutoCloseable {

    /** The audit log's name, first line of every checkpoint. */
    public static final String AUDIT_ORIGIN = "magistrate/audit";
    /** Consumed warrants are part of the durable record: kept beside the audit trail they protect. */
    public static final String LEDGER_FILE = "consumed-warrants.log";

    private final MagistrateSettings settings;
    private final KeyDirectory keys;
    private final Governor governor;
    private final String policyDescription;
    private final Deque<AutoCloseable> opened;

    private final LivePolicy livePolicy;
    private final Rollbacks rollbacks;

    private Magistrate(MagistrateSettings settings, KeyDirectory keys, Governor governor, String policyDescription, LivePolicy livePolicy,
                       Rollbacks rollbacks, Deque<AutoCloseable> opened) {
        this.settings = settings;
        this.keys = keys;
        this.governor = governor;
        this.policyDescription = policyDescription;
        this.livePolicy = livePolicy;
        this.rollbacks = rollbacks;
        this.opened = opened;
    }

    /**
     * Loads and compiles the policy, then opens everything else.
     *
     * @throws PolicyException          the policy does not load; its errors name file, line and column
     * @throws IllegalArgumentException settings that cannot be used (no policy, an unknown backend, ...)
     * @throws IllegalStateException    a key directory or audit log that cannot be used (a tampered log among them)
     */
    public static Magistrate open(MagistrateSettings settings) {
        return open(settings, () -> true);
    }

    /**
     * As {@link #open(MagistrateSettings)}, asking {@code mayWrite} once, after the policy is loaded and compiled and just
     * before the first write (keys, audit trail): false abandons the start with a {@link CancellationException}, having
     * written nothing. What the agent uses to let a JVM that exits at once leave no half-opened trail behind.
     */
    public static Magistrate open(MagistrateSettings settings, BooleanSupplier mayWrite) {
        if (settings.policy() == null) throw new IllegalArgumentException("no policy is configured (set magistrate.policy)");
        PolicySet set = PolicyLoader.load(settings.policy());
        if (!MagistrateSettings.REMOTE.equals(settings.approvals())) Window.refuseScope(set, Window.Scope.FLEET, FleetSettings.WINDOWS_NEED_A_FLEET);
        CompiledPolicy policy = PolicyCompiler.compile(set);
        Governor.Shadow shadow = shadow(settings, set);
        return open(settings, policy, shadow, "policy " + settings.policy() + " (" + set.rules().size() + " rules, sha256 "
                + set.version().substring(0, 12) + (settings.watchPolicy() ? ", reloaded when its files change" : "") + ")"
                + (shadow == null ? "" : "; shadow " + shadow.source()
                + (settings.shadowPolicy() == null ? " (" + set.shadowRules().size() + " shadow rules)" : " " + settings.shadowPolicy())), true, mayWrite);
    }

    /**
     * The shadow: a separate shadow policy set when one is configured, else the live files with their shadow rules in
     * force, else none. A shadow policy that does not load never stops the engine and never denies a call: it is logged,
     * and every call's shadow decision records the error (SHADOW_DECISION with {@code error}).
     */
    private static Governor.Shadow shadow(MagistrateSettings settings, PolicySet live) {
        if (settings.shadowPolicy() == null) {
            PolicySet withShadowRules = live.shadowPolicy();
            return withShadowRules == null ? null : new Governor.Shadow(PolicyCompiler.compile(withShadowRules), SHADOW_RULES);
        }
        try {
            return new Governor.Shadow(PolicyCompiler.compile(PolicyLoader.load(settings.shadowPolicy())), SHADOW_POLICY);
        } catch (RuntimeException e) {
            String why = "the shadow policy " + settings.shadowPolicy() + " does not load: "
                    + (e instanceof PolicyException p ? p.getMessage() : e.toString());
            MagistrateLog.warn(Magistrate.class, why + " (it never affects a call; the live policy governs)", null);
            return new Governor.Shadow(new DenyAll(why), SHADOW_POLICY);
        }
    }

    /** {@link Governor.Shadow#source()} of the live files' shadow rules, and of a separate shadow policy set. */
    public static final String SHADOW_RULES = Governor.Shadow.RULES, SHADOW_POLICY = Governor.Shadow.POLICY;
    /** System properties {@code magistrate.signal.NAME=value} set signals when the engine opens. */
    public static final String SIGNAL_PROPERTY_PREFIX = "magistrate.signal.";

    /**
     * Opens everything but decides every intent as denied, for {@code reason}: what the agent starts
     * when its policy or configuration is broken, so that every call is still denied <em>and audited</em>.
     */
    public static Magistrate openDenyingAll(MagistrateSettings settings, String reason) {
        return openDenyingAll(settings, reason, () -> true);
    }

    /** As {@link #openDenyingAll(MagistrateSettings, String)}, with {@code mayWrite} as in {@link #open(MagistrateSettings, BooleanSupplier)}. */
    public static Magistrate openDenyingAll(MagistrateSettings settings, String reason, BooleanSupplier mayWrite) {
        return open(settings, new DenyAll(reason), null, "policy " + (settings.policy() == null ? "NONE" : settings.policy() + " FAILED TO LOAD")
                + ", every call denied: " + reason, false, mayWrite);
    }

    /** {@code reloadable}: the policy came from {@code s.policy()}, and a {@link LivePolicy} keeps it (not so for a deny-all start). */
    private static Magistrate open(MagistrateSettings s, CompiledPolicy policy, Governor.Shadow shadow, String policyDescription,
                                   boolean reloadable, BooleanSupplier mayWrite) {
        if (!mayWrite.getAsBoolean()) throw new CancellationException("the start was abandoned before anything was written");
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            SignalBoard signals = new SignalBoard();
            for (String key : System.getProperties().stringPropertyNames()) {
                if (!key.startsWith(SIGNAL_PROPERTY_PREFIX)) continue;
                String text = System.getProperty(key);
                try {
                    signals.set(key.substring(SIGNAL_PROPERTY_PREFIX.length()), Double.parseDouble(text.strip()));
                } catch (IllegalArgumentException e) { // NumberFormatException among them
                    throw new IllegalArgumentException("system property " + key + "=" + text + ": a signal is a name the policy reads as"
                            + " signal.NAME and a finite number, like -D" + SIGNAL_PROPERTY_PREFIX + "error_rate=0.07", e);
                }
            }
            KeyDirectory keys = KeyDirectory.openOrCreate(s.keysDirectory());
            ChronicleAuditLog audit = ChronicleAuditLog.open(AuditLogOptions.defaults(s.auditDirectory(), AUDIT_ORIGIN, keys.logKeys())
                    .withDurability(s.auditDurability()).withClock(s.clock()));
            opened.push(audit);
            // The fleet's witness gets each signed checkpoint from the shipper's own thread, never on a call's path.
            if (s.fleet() != null) opened.push(CheckpointShipper.start(s.fleet(), audit, s.clock()));
            ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(s.auditDirectory().resolve(LEDGER_FILE), s.clock(),
                    s.auditDurability() == Durability.SYNC_EACH_APPEND);
            opened.push(ledger);
            ApprovalBackend backend = s.approvals() == null ? new NoApprovalBackend()
                    : MagistrateSettings.REMOTE.equals(s.approvals()) ? RemoteApprovals.open(s.fleet(), s.clock())
                    : ApprovalBackends.create(s.approvals(), s.approvalSettings(), Magistrate.class.getClassLoader());
            opened.push(backend);
            ApproverDirectory approvers = s.approvers() == null ? ApproverDirectory.of(List.of()) : ApproverDirectory.load(s.approvers());
            opened.pop(); // the governor owns the backend from here and closes it
            Governor governor = Governor.builder().policy(policy).approvalBackend(backend).approvers(approvers).keys(keys)
                    .ledger(ledger).audit(audit).observer(s.telemetry() != null ? s.telemetry() : DefaultTelemetry.observer())
                    .clock(s.clock()).signals(signals).shadow(shadow).build();
            opened.push(governor);
            if (s.signalsJmx()) opened.push(SignalsJmx.register(signals));
            // Before the backend sees anything: what waited for approval when the process last stopped is abandoned.
            governor.abandon(governor.waitingAtStart());
            LivePolicy live = reloadable ? LivePolicy.start(governor, s.policy(), s.watchPolicy(), s.shadowPolicy() == null,
                    MagistrateSettings.REMOTE.equals(s.approvals())) : null;
            if (live != null) opened.push(live); // closed before the governor: no reload after it
            Rollbacks rollbacks = new Rollbacks(governor, s.clock());
            opened.push(rollbacks); // closed before the governor: no compensating call after it
            backend.attach(live == null ? governor.approvalContext() : new ReloadingContext(governor.approvalContext(), live));
            return new Magistrate(s, keys, governor, policyDescription, live, rollbacks, opened);
        } catch (RuntimeException | Error e) {
            closeAll(opened);
            throw e;
        }
    }

    /** An intent builder for this agent: the action, with {@link MagistrateSettings#agentId()} as its agent. */
    public Intent.Builder intent(String action) {
        return Intent.builder(action).agent(settings.agentId()).clock(settings.clock());
    }

    /**
     * Decides the intent, waits for the people it needs, and checks the warrant it gets against the
     * intent's own action and arguments, or those an approver changed them to (the call must then run with
     * {@link Execution#args()}): the returned execution must be closed with the call's outcome.
     *
     * @throws DeniedException the intent was denied, timed out, or its warrant was refused; already audited
     *                         ({@link dev.magistrate.governor.NeedsInformationException} when an approver asked a question)
     */
    public Execution admit(Intent intent) {
        return governor.admit(intent);
    }

    /**
     * As {@link #admit}, but a call that needs approval does not hold the thread: it throws
     * {@link dev.magistrate.governor.ApprovalPendingException} at once, and the same call made again after approval runs
     * ({@link Governor#admitOrDefer}).
     */
    public Execution admitOrDefer(Intent intent) {
        return governor.admitOrDefer(intent);
    }

    /** Where a call deferred by {@link #admitOrDefer} stands. */
    public ApprovalStatus status(String intentId) {
        return governor.status(intentId);
    }

    /** Completes when approvers have decided a call deferred by {@link #admitOrDefer}. */
    public CompletableFuture<ApprovalStatus> whenDecided(String intentId) {
        return governor.whenDecided(intentId);
    }

    /** What the policy says, without side effects (no audit entry, no approval request). */
    public Decision decide(Intent intent) {
        return governor.decide(intent);
    }

    /**
     * Loads the policy files again and puts them in force if they load (audited, with {@code trigger}); otherwise the
     * version in force keeps deciding and the outcome says why, with {@code file:line:col}.
     *
     * @throws IllegalStateException this engine decides without policy files (it started denying everything)
     */
    public LivePolicy.Outcome reloadPolicy(String trigger) {
        if (livePolicy == null) throw new IllegalStateException("this engine started without a policy that loaded; restart it with a policy");
        return livePolicy.reload(trigger);
    }

    /**
     * Publishes a signal: decisions from now on read {@code signal.NAME} as this value. Thread-safe and cheap for the
     * deciding threads (they read one immutable snapshot). Each decision's audit entry records the signals it read.
     *
     * @throws IllegalArgumentException a name the policy could not read as {@code signal.NAME}, or a value that is not finite
     */
    public void signal(String name, double value) {
        governor.signals().set(name, value);
    }

    /** Removes a signal: decisions from now on see {@code signal.NAME} as missing. */
    public void clearSignal(String name) {
        governor.signals().clear(name);
    }

    /** Every signal that is set, by name. */
    public Map<String, Double> signals() {
        return governor.signals().values();
    }

    /** For what {@link #admit} does not cover: an asynchronous authorisation, a policy swap, warrants from elsewhere. */
    public Governor governor() {
        return governor;
    }

    public ApprovalBackend approvalBackend() {
        return governor.approvalBackend();
    }

    /** What runs tools' compensating methods (the policy's {@code rollbacks:}). */
    Rollbacks rollbacks() {
        return rollbacks;
    }

    public KeyDirectory keys() {
        return keys;
    }

    public MagistrateSettings settings() {
        return settings;
    }

    /** One line for a start-up log: policy, approvals, audit, keys. */
    public String describe() {
        ApprovalBackend b = governor.approvalBackend();
        return policyDescription + "; approvals " + (settings.approvals() == null ? "NONE (calls that need approval are denied)"
                : settings.approvals() + (b.endpoint() == null ? "" : " at " + b.endpoint())) + "; audit " + settings.auditDirectory() + " ("
                + settings.auditDurability().name().toLowerCase(Locale.ROOT) + "); keys " + settings.keysDirectory();
    }

    /** Closes the governor (and its backend), the ledger and the audit log, in that order; never throws. */
    @Override
    public synchronized void close() {
        closeAll(opened);
    }

    private static void closeAll(Deque<AutoCloseable> opened) {
        AutoCloseable c;
        while ((c = opened.poll()) != null) {
            try {
                c.close();
            } catch (Exception e) {
                MagistrateLog.warn(Magistrate.class, c.getClass().getSimpleName() + " did not close cleanly", e);
            }
        }
    }

    /** Used when no approval backend is configured: every call that needs a person is denied at once, not left to time out. */
    private static final class NoApprovalBackend implements ApprovalBackend {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void request(ApprovalRequest request, VoteSink votes) {
            throw new IllegalStateException("no approval backend is configured (set magistrate.approvals), so no one can approve it");
        }
    }

    private record DenyAll(String reason) implements CompiledPolicy {
        @Override
        public Decision decide(PolicyInput input) {
            return Decision.failClosed(reason, "none");
        }

        @Override
        public String version() {
            return "none";
        }
    }

    /** The governor's context for the backend, plus the policy reload the console offers to policy admins. */
    private record ReloadingContext(ApprovalContext delegate, LivePolicy live) implements ApprovalContext {
        @Override
        public ApproverDirectory approvers() {
            return delegate.approvers();
        }

        @Override
        public Clock clock() {
            return delegate.clock();
        }

        @Override
        public void recordAccess(String channel, String subject, boolean allowed, String intent, String detail) {
            delegate.recordAccess(channel, subject, allowed, intent, detail);
        }

        @Override
        public Optional<Path> auditDirectory() {
            return delegate.auditDirectory();
        }

        @Override
        public List<ApprovalRequest> abandonedAtStart() {
            return delegate.abandonedAtStart();
        }

        @Override
        public Optional<LivePolicy.Outcome> reloadPolicy(String trigger) {
            return Optional.of(live.reload(trigger));
        }

        @Override
        public Optional<dev.magistrate.governor.BreakGlass> breakGlass() {
            return delegate.breakGlass();
        }
    }
}
