package dev.magistrate.engine;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalBackends;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.Durability;
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
import dev.magistrate.warrant.ConsumedWarrantLedger;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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
    private final LivePolicy livePolicy;
    private final Deque<AutoCloseable> opened;

    private Magistrate(MagistrateSettings settings, KeyDirectory keys, Governor governor, String policyDescription, LivePolicy livePolicy,
                       Deque<AutoCloseable> opened) {
        this.settings = settings;
        this.keys = keys;
        this.governor = governor;
        this.policyDescription = policyDescription;
        this.livePolicy = livePolicy;
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
        if (settings.policy() == null) throw new IllegalArgumentException("no policy is configured (set magistrate.policy)");
        PolicySet set = PolicyLoader.load(settings.policy());
        CompiledPolicy policy = PolicyCompiler.compile(set);
        return open(settings, policy, "policy " + settings.policy() + " (" + set.rules().size() + " rules, sha256 "
                + set.version().substring(0, 12) + (settings.watchPolicy() ? ", reloaded when its files change" : "") + ")", true);
    }

    /**
     * Opens everything but decides every intent as denied, for {@code reason}: what the agent starts
     * when its policy or configuration is broken, so that every call is still denied <em>and audited</em>.
     */
    public static Magistrate openDenyingAll(MagistrateSettings settings, String reason) {
        return open(settings, new DenyAll(reason), "policy " + (settings.policy() == null ? "NONE" : settings.policy() + " FAILED TO LOAD")
                + ", every call denied: " + reason, false);
    }

    /** {@code reloadable}: the policy came from {@code s.policy()}, and a {@link LivePolicy} keeps it (not so for a deny-all start). */
    private static Magistrate open(MagistrateSettings s, CompiledPolicy policy, String policyDescription, boolean reloadable) {
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            KeyDirectory keys = KeyDirectory.openOrCreate(s.keysDirectory());
            ChronicleAuditLog audit = ChronicleAuditLog.open(AuditLogOptions.defaults(s.auditDirectory(), AUDIT_ORIGIN, keys.logKeys())
                    .withDurability(s.auditDurability()).withClock(s.clock()));
            opened.push(audit);
            ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(s.auditDirectory().resolve(LEDGER_FILE), s.clock(),
                    s.auditDurability() == Durability.SYNC_EACH_APPEND);
            opened.push(ledger);
            ApprovalBackend backend = s.approvals() == null ? new NoApprovalBackend()
                    : ApprovalBackends.create(s.approvals(), s.approvalSettings(), Magistrate.class.getClassLoader());
            opened.push(backend);
            ApproverDirectory approvers = s.approvers() == null ? ApproverDirectory.of(List.of()) : ApproverDirectory.load(s.approvers());
            opened.pop(); // the governor owns the backend from here and closes it
            Governor governor = Governor.builder().policy(policy).approvalBackend(backend).approvers(approvers).keys(keys)
                    .ledger(ledger).audit(audit).clock(s.clock()).build();
            opened.push(governor);
            LivePolicy live = reloadable ? LivePolicy.start(governor, s.policy(), s.watchPolicy()) : null;
            if (live != null) opened.push(live); // closed before the governor: no reload after it
            backend.attach(live == null ? governor.approvalContext() : new ReloadingContext(governor.approvalContext(), live));
            return new Magistrate(s, keys, governor, policyDescription, live, opened);
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

    /** For what {@link #admit} does not cover: an asynchronous authorisation, a policy swap, warrants from elsewhere. */
    public Governor governor() {
        return governor;
    }

    public ApprovalBackend approvalBackend() {
        return governor.approvalBackend();
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
        public Optional<LivePolicy.Outcome> reloadPolicy(String trigger) {
            return Optional.of(live.reload(trigger));
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
}
