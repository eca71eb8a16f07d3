package dev.magistrate.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.MfaVerifier;
import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.Tier;
import dev.magistrate.policy.Window;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantIssuer;
import dev.magistrate.warrant.WarrantRejectedException;
import dev.magistrate.warrant.WarrantVerifier;

import javax.sql.DataSource;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The fleet's approval service: decides intents with the policy, keeps requests, votes, warrants and consumptions in
 * PostgreSQL, and signs warrants with its own Ed25519 key. Any number of replicas share one database. Exactly one verdict
 * wins because every change of a request's state is one conditional {@code UPDATE ... WHERE state = 'pending'} whose row
 * count says whether this replica won; a vote first takes the request's row lock with such an update, so votes on one
 * request are counted one after the other, across replicas. Deadlines are compared with the database's clock, so
 * replicas with different clocks agree on when a request timed out. A policy with windows is decided on counters in the
 * database ({@link FleetWindows}), locked and spent in the decision's transaction.
 */
public final class FleetService implements AutoCloseable {

    /** The states of a request; all but {@code pending} are final. */
    static final String PENDING = "pending", APPROVED = "approved", DENIED = "denied", TIMED_OUT = "timed_out";

    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._@+-]{1,128}");
    static final Pattern RESULT_DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final String TIMED_OUT_REASON = "no decision within the approval timeout";
    static final String ALL_REFUSED = "a window over every agent of one JVM, which the fleet service does not have:"
            + " write count_fleet()/sum_fleet() for the whole fleet, or count()/sum() for the calling agent (docs/fleet.md)";
    /** How long past its expiry an unused warrant's reservation is kept: beyond the clock skew any verifier allows. */
    static final long UNUSED_WARRANT_GRACE_MS = WarrantVerifier.DEFAULT_CLOCK_SKEW.toMillis() + 60_000;

    private final DataSource db;
    private final CompiledPolicy policy;
    private final ApproverDirectory approvers;
    private final KeySet warrantKeys;
    private final WarrantIssuer issuer;
    private final WarrantVerifier verifier;
    private final MfaVerifier mfa = new MfaVerifier();
    private final Clock clock;
    private final String replica;
    private final ScheduledExecutorService timeouts;
    /** The policy's windows in the database, or null for a policy without windows (which then reads and locks nothing). */
    private final FleetWindows windows;

    /** What the policy made of a submitted intent: {@code allow} with a warrant, {@code pending}, or {@code denied}. */
    record Submitted(String requestId, String status, String warrantJson, String reason, String rule, Decision decision) {
    }

    /** A request as stored. */
    record RequestView(String id, String agent, String action, String argsJson, String tier, String state, String reason,
                       String decidedBy, int requiredApprovals, List<String> requiredRoles, boolean mfaRequired, Instant deadline,
                       Duration warrantTtl, List<String> approvedBy, String warrantJson) {
        boolean isFinal() {
            return !state.equals(PENDING);
        }
    }

    /** A vote's effect: the request's state after it and the approvals counted so far. */
    record VoteOutcome(String state, int approvals, int requiredApprovals) {
    }

    /** What a warrant check found; {@code reason} is a {@link dev.magistrate.warrant.RejectionReason} wire name, or null when valid. */
    record Verification(boolean valid, String warrantId, String reason, String detail, boolean argsChecked) {
    }

    /** {@code replica}: this instance's name in the tables (which replica cast, issued, consumed). */
    public FleetService(DataSource db, PolicySet policySet, CompiledPolicy policy, ApproverDirectory approvers, KeySet warrantKeys,
                        String replica, Clock clock) {
        // count_all() means "every agent of this JVM" in the engine; the service has no JVM, and count_fleet() is what a fleet means.
        if (policySet != null) Window.refuseScope(policySet, Window.Scope.ALL, ALL_REFUSED);
        else if (policy.windows().stream().anyMatch(w -> w.scope() == Window.Scope.ALL)) throw new IllegalArgumentException("--policy: " + ALL_REFUSED);
        this.windows = policy.windows().isEmpty() ? null : new FleetWindows(policy.windows());
        this.db = db;
        this.policy = policy;
        this.approvers = approvers;
        this.warrantKeys = warrantKeys;
        this.clock = clock;
        this.replica = replica;
        // Ed25519 for every tier, T0 included: the service's warrants are checked by other processes with its public key.
        this.issuer = new WarrantIssuer(warrantKeys, clock, SignatureAlgorithm.ED25519);
        this.verifier = WarrantVerifier.withoutLedger(warrantKeys, clock, WarrantVerifier.DEFAULT_CLOCK_SKEW);
        if (policySet != null) MagistrateLog.info(FleetService.class, "replica " + replica + ": policy " + policySet.version().substring(0, 12)
                + " (" + policySet.rules().size() + " rules), " + approvers.size() + " approvers");
        this.timeouts = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "magistrate-server-timeouts");
            t.setDaemon(true);
            return t;
        });
        timeouts.scheduleWithFixedDelay(this::expireQuietly, 1, 1, TimeUnit.SECONDS);
    }

    KeySet warrantKeys() {
        return warrantKeys;
    }

    String replica() {
        return replica;
    }

    // ---- agents ----------------------------------------------------------------------------------------------------

    /** Enrolls an agent and returns its new token, to be shown once: only its SHA-256 is stored. */
    public String enrollAgent(String agentId) {
        return enrollAgent(db, agentId, null);
    }

    /** As {@link #enrollAgent(String)}, pinning the public key its audit log's checkpoints are signed with (a verifier key). */
    public String enrollAgent(String agentId, String logKey) {
        return enrollAgent(db, agentId, logKey);
    }

    /**
     * {@code logKey}: the signed-note verifier key ({@code NAME+HEXID+BASE64}) the witness checks this agent's checkpoints
     * with, or null (its checkpoints are then refused).
     */
    static String enrollAgent(DataSource db, String agentId, String logKey) {
        if (logKey != null) CheckpointVerifier.fromVerifierKey(logKey); // IllegalArgumentException saying what is wrong
        if (agentId == null || !AGENT_ID.matcher(agentId).matches()) {
            throw new IllegalArgumentException("agent id must be 1 to 128 of [A-Za-z0-9._@+-], got '" + agentId + "'");
        }
        String token = ApproverToken.mint();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO agents (id, token_sha256, log_key) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
            ps.setString(1, agentId);
            ps.setBytes(2, sha256(token));
            ps.setString(3, logKey == null ? null : logKey.strip());
            if (ps.executeUpdate() != 1) throw new IllegalArgumentException("agent '" + agentId + "' is already enrolled");
        } catch (SQLException e) {
            throw new IllegalStateException("the agent could not be enrolled: " + e.getMessage(), e);
        }
        return token;
    }

    /** The agent whose token this is, or empty. The lookup is by the token's hash, so nothing compares the token itself. */
    Optional<String> agentByToken(String token) {
        if (token == null || token.isEmpty() || token.length() > 512) return Optional.empty();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, token_sha256 FROM agents WHERE token_sha256 = ?")) {
            byte[] hash = sha256(token);
            ps.setBytes(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && MessageDigest.isEqual(rs.getBytes(2), hash)) return Optional.of(rs.getString(1));
                return Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    // ---- intents ---------------------------------------------------------------------------------------------------

    /** Decides the intent and records it: allowed with a warrant, pending approval until its deadline, or denied. */
    Submitted submit(Intent intent) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                FleetWindows.Locked locked = null;
                FleetWindows.Unlocked unlocked = windows == null ? null : windows.unlocked(intent);
                Decision d = decide(intent, unlocked == null ? intent : unlocked);
                // Most calls (a read) neither read a window nor add to one: decided as they are, they lock no counter row.
                if (unlocked != null && (unlocked.readAny() || windows.counts(intent))) {
                    // Decide again, and reserve, as one step: the windows' rows stay locked until this transaction ends.
                    locked = windows.lock(c, intent.agent());
                    d = decide(intent, locked.input(intent));
                }
                String rules = json(d.matchedRules());
                Submitted s = switch (d.effect()) {
                    case ALLOW -> {
                        insertRequest(c, intent, d, rules, APPROVED, null, null);
                        Warrant w = issueWarrant(c, intent, d.tier(), List.of(), ttl(d));
                        yield new Submitted(intent.id(), "allow", w.toJson(), null, null, d);
                    }
                    case DENY -> {
                        Map.Entry<String, String> why = d.denyReasons().entrySet().iterator().next();
                        String reason = locked == null ? why.getValue() : withBudgets(why, locked, intent.agent());
                        insertRequest(c, intent, d, rules, DENIED, reason, "policy");
                        yield new Submitted(intent.id(), "denied", null, reason, why.getKey(), d);
                    }
                    case APPROVE -> {
                        insertRequest(c, intent, d, rules, PENDING, null, null);
                        yield new Submitted(intent.id(), "pending", null, null, null, d);
                    }
                };
                if (locked != null && d.effect() != Effect.DENY) reserve(c, locked, intent);
                c.commit();
                return s;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** What a call the policy let through adds to its windows; when that cannot be computed, nothing of it is kept. */
    private void reserve(Connection c, FleetWindows.Locked locked, Intent intent) throws SQLException {
        try {
            locked.reserve(c, intent);
        } catch (RuntimeException e) {
            // Fail closed, as the engine does: the call is not let through on a budget it could not be charged to.
            throw new ApiException(503, null, "what this call adds to the policy's windows cannot be computed (" + e.getMessage()
                    + "): nothing was decided or recorded");
        }
    }

    /** The deny rule's reason, then each window its condition reads: which budget, how much of it is used, when the oldest part frees. */
    private String withBudgets(Map.Entry<String, String> denial, FleetWindows.Locked locked, String agent) {
        List<Window> used = policy.windowsOf(denial.getKey());
        if (used.isEmpty()) return denial.getValue();
        StringBuilder sb = new StringBuilder(denial.getValue());
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '.') sb.setLength(sb.length() - 1);
        sb.append(" (");
        for (int i = 0; i < used.size(); i++) sb.append(i == 0 ? "" : "; ").append(locked.describe(used.get(i), agent));
        return sb.append(')').toString();
    }

    /** As the engine decides: a policy that throws or returns nothing yields a fail-closed denial. */
    private Decision decide(Intent intent, dev.magistrate.policy.PolicyInput input) {
        try {
            Decision d = policy.decide(input);
            return d != null ? d : Decision.failClosed("the policy returned no decision", policy.version());
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            return Decision.failClosed("policy evaluation failed: " + e, policy.version());
        }
    }

    private void insertRequest(Connection c, Intent intent, Decision d, String rules, String state, String reason, String decidedBy)
            throws SQLException {
        Duration timeout = d.approvalTimeout().isZero() || d.approvalTimeout().isNegative() ? PolicySet.DEFAULT_APPROVAL_TIMEOUT : d.approvalTimeout();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO requests (id, agent_id, action, args_json, args_digest, justification,"
                + " urgency, cost, effect, tier, matched_rules, policy_version, required_approvals, required_roles, mfa_required,"
                + " warrant_ttl_ms, state, reason, decided_by, deadline, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                + " CASE WHEN ? THEN clock_timestamp() + ? * interval '1 millisecond' END, CASE WHEN ? THEN clock_timestamp() END)")) {
            boolean pending = state.equals(PENDING);
            int i = 0;
            ps.setString(++i, intent.id());
            ps.setString(++i, intent.agent());
            ps.setString(++i, intent.action());
            ps.setString(++i, intent.argsCanonicalJson());
            ps.setString(++i, intent.argsDigest());
            ps.setString(++i, intent.justification());
            ps.setString(++i, intent.urgency());
            ps.setObject(++i, intent.estimatedCost() == null ? null : new java.math.BigDecimal(intent.estimatedCost().toString()));
            ps.setString(++i, d.effect().wireName());
            ps.setString(++i, d.tier().name());
            ps.setString(++i, rules);
            ps.setString(++i, d.policyVersion());
            ps.setInt(++i, ApprovalRequest.requiredApprovals(d));
            ps.setString(++i, json(d.requiredRoles()));
            ps.setBoolean(++i, ApprovalRequest.mfaRequired(d));
            ps.setLong(++i, ttl(d).toMillis());
            ps.setString(++i, state);
            ps.setString(++i, reason);
            ps.setString(++i, decidedBy);
            ps.setBoolean(++i, pending);
            ps.setLong(++i, timeout.toMillis());
            ps.setBoolean(++i, !pending);
            ps.executeUpdate();
        }
    }

    private static Duration ttl(Decision d) {
        return d.warrantTtl().isZero() || d.warrantTtl().isNegative() ? PolicySet.DEFAULT_WARRANT_TTL : d.warrantTtl();
    }

    /** Signs a warrant and stores it; the {@code warrants.request_id} unique key allows one per request. */
    private Warrant issueWarrant(Connection c, Intent intent, Tier tier, List<String> approvedBy, Duration ttl) throws SQLException {
        Warrant w = issuer.issue(intent, tier, approvedBy, List.of(), ttl);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO warrants (id, request_id, warrant_json, expires_at, replica) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, w.warrantId());
            ps.setString(2, intent.id());
            ps.setString(3, w.toJson());
            ps.setTimestamp(4, Timestamp.from(w.expiresAt()));
            ps.setString(5, replica);
            ps.executeUpdate();
        }
        return w;
    }

    /** The request, if it is this agent's (another agent's request is as good as absent); a due timeout is applied first. */
    Optional<RequestView> find(String agent, String id) {
        try (Connection c = db.getConnection()) {
            Optional<RequestView> r = load(c, id);
            // Due (by this replica's clock, a second early for skew): time it out by the database's clock, then read it again.
            if (r.isPresent() && !r.get().isFinal() && r.get().deadline() != null && r.get().deadline().isBefore(clock.instant().plusSeconds(1))) {
                expire(c, id);
                r = load(c, id);
            }
            return agent == null ? r : r.filter(v -> v.agent().equals(agent));
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static Optional<RequestView> load(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT r.id, r.agent_id, r.action, r.args_json, r.tier, r.state, r.reason, r.decided_by,"
                + " r.required_approvals, r.required_roles, r.mfa_required, r.deadline, r.warrant_ttl_ms, w.warrant_json FROM requests r"
                + " LEFT JOIN warrants w ON w.request_id = r.id WHERE r.id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                Timestamp deadline = rs.getTimestamp(12);
                return Optional.of(new RequestView(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), rs.getString(8), rs.getInt(9), strings(rs.getString(10)), rs.getBoolean(11),
                        deadline == null ? null : deadline.toInstant(), Duration.ofMillis(rs.getLong(13)), approvedBy(c, id), rs.getString(14)));
            }
        }
    }

    private static List<String> approvedBy(Connection c, String requestId) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT approver_id FROM votes WHERE request_id = ? AND verdict = 'approve' ORDER BY cast_at, approver_id")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    // ---- votes -----------------------------------------------------------------------------------------------------

    /** The approver whose personal token this is (as the engine checks it); 401 otherwise. */
    Approver approverByToken(String approverId, String personalToken) {
        Approver approver = approver(approverId);
        if (!approver.hasToken()) {
            throw new ApiException(401, "approver", "approver '" + approverId + "' has no personal token enrolled (token_sha256 in the approver directory)");
        }
        if (!approver.tokenMatches(personalToken)) {
            throw new ApiException(401, null, "the credential presented is not " + approverId + "'s personal token");
        }
        return approver;
    }

    /** The approver with this id in the directory; 401 otherwise. */
    Approver approver(String approverId) {
        return approvers.find(approverId).orElseThrow(() -> new ApiException(401, "approver", "unknown approver '" + approverId + "'"));
    }

    ApproverDirectory approvers() {
        return approvers;
    }

    Clock clock() {
        return clock;
    }

    /**
     * Counts one approver's vote, whether it came from the API or the console's page. {@code credential}: how the
     * approver was authenticated (the personal token, or a console session opened with it), as the {@code votes} row
     * records it. When the request needs MFA, a TOTP code checked by the engine's {@link MfaVerifier}. In one transaction:
     * take the request's row lock with a conditional update (0 rows: the request has ended or its deadline passed),
     * insert the vote (the primary key refuses a second vote by the same approver), then, if the request is now decided,
     * end it with a second conditional update.
     */
    VoteOutcome vote(String requestId, Approver approver, String credential, boolean approve, String comment, String totp) {
        String approverId = approver.id();
        RequestView r = find(null, requestId).orElseThrow(() -> new ApiException(404, null, "no request '" + requestId + "'"));
        if (r.isFinal()) throw new ApiException(409, null, "late vote: the request is already " + r.state());
        if (approverId.equals(r.agent())) throw new ApiException(403, "approver", "the requesting agent cannot approve its own intent");
        long totpStep = approve && r.mfaRequired() ? totpStep(approver, totp) : Long.MIN_VALUE;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (totpStep != Long.MIN_VALUE) spendTotpStep(c, approver.id(), totpStep);
                VoteOutcome o = voteLocked(c, r, approver, credential, approve, comment);
                c.commit();
                return o;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** The time step of an accepted TOTP code, checked by the engine's {@link MfaVerifier}; 403 (429 when locked) otherwise. */
    private long totpStep(Approver approver, String totp) {
        MfaVerifier.Attempt a = mfa.attempt(approver, totp, clock.instant());
        if (!a.accepted()) throw new ApiException(a.locked() || a.lockoutStarted() != null ? 429 : 403, "totp", a.rejection());
        return a.acceptedStep();
    }

    /** Checks a TOTP code outside a vote (the console's sign-in) and spends it for the whole fleet. */
    void checkTotp(Approver approver, String totp) {
        long step = totpStep(approver, totp);
        try (Connection c = db.getConnection()) {
            spendTotpStep(c, approver.id(), step);
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Records the accepted code's step for the whole fleet; a step not after the last one recorded is a reused code. */
    private static void spendTotpStep(Connection c, String approverId, long step) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO totp_steps (approver_id, last_step) VALUES (?, ?) ON CONFLICT (approver_id)"
                + " DO UPDATE SET last_step = EXCLUDED.last_step WHERE totp_steps.last_step < EXCLUDED.last_step")) {
            ps.setString(1, approverId);
            ps.setLong(2, step);
            if (ps.executeUpdate() != 1) {
                throw new ApiException(403, "totp", "TOTP code already used (each code is accepted once across the fleet; wait for the next one)");
            }
        }
    }

    private VoteOutcome voteLocked(Connection c, RequestView r, Approver approver, String credential, boolean approve, String comment) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("UPDATE requests SET votes_cast = votes_cast + 1"
                + " WHERE id = ? AND state = 'pending' AND deadline > clock_timestamp()")) {
            lock.setString(1, r.id());
            if (lock.executeUpdate() != 1) {
                c.rollback();
                expire(c, r.id());
                throw new ApiException(409, null, "late vote: the request is already " + load(c, r.id()).map(RequestView::state).orElse("gone"));
            }
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO votes (request_id, approver_id, verdict, comment, credential, replica)"
                + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id, approver_id) DO NOTHING")) {
            ins.setString(1, r.id());
            ins.setString(2, approver.id());
            ins.setString(3, approve ? "approve" : "deny");
            ins.setString(4, comment);
            ins.setString(5, credential);
            ins.setString(6, replica);
            if (ins.executeUpdate() != 1) throw new ApiException(409, "approver", "'" + approver.id() + "' already voted on this request");
        }
        if (!approve) {
            String why = "denied by " + approver.id() + ": " + (comment == null || comment.isBlank() ? "no reason given" : comment.strip());
            end(c, r.id(), DENIED, why, approver.id());
            if (windows != null) windows.giveBack(c, List.of(r.id()));
            return new VoteOutcome(DENIED, approvedBy(c, r.id()).size(), r.requiredApprovals());
        }
        // Read after the row lock: every vote committed before it is seen (READ COMMITTED takes a new snapshot per statement).
        List<String> approvedBy = approvedBy(c, r.id());
        List<Approver> counted = new ArrayList<>();
        for (String id : approvedBy) approvers.find(id).ifPresent(counted::add);
        // The engine's rule for "enough approvers, every role covered"; the intent and decision are not needed for it.
        ApprovalRequest request = new ApprovalRequest(null, null, r.requiredApprovals(), r.requiredRoles(), r.mfaRequired(), r.deadline());
        if (!request.satisfiedBy(counted)) return new VoteOutcome(PENDING, approvedBy.size(), r.requiredApprovals());
        issueWarrant(c, storedIntent(r), Tier.valueOf(r.tier()), approvedBy, r.warrantTtl());
        end(c, r.id(), APPROVED, null, String.join(",", approvedBy));
        return new VoteOutcome(APPROVED, approvedBy.size(), r.requiredApprovals());
    }

    /** The one statement that ends a pending request; anything but one row means another verdict won, and nothing here commits. */
    private static void end(Connection c, String id, String state, String reason, String by) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE requests SET state = ?, reason = ?, decided_by = ?, decided_at = clock_timestamp()"
                + " WHERE id = ? AND state = 'pending'")) {
            ps.setString(1, state);
            ps.setString(2, reason);
            ps.setString(3, by);
            ps.setString(4, id);
            if (ps.executeUpdate() != 1) throw new ApiException(409, null, "late vote: the request was decided meanwhile");
        }
    }

    /** The intent as submitted (same id, action, arguments and agent), for the warrant an approval issues. */
    private static Intent storedIntent(RequestView r) {
        return Intent.builder(r.action()).id(r.id()).agent(r.agent()).args(parseArgs(r.argsJson())).build();
    }

    static Map<String, Object> parseArgs(String json) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = JSON.readValue(json, LinkedHashMap.class);
            return m;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored arguments are not JSON: " + e.getMessage(), e);
        }
    }

    // ---- timeouts --------------------------------------------------------------------------------------------------

    /** Ends every pending request whose deadline passed (each replica runs this every second; the update is idempotent). */
    int expireDue() {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<String> ended = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("UPDATE requests SET state = 'timed_out', reason = ?, decided_by = 'timeout',"
                        + " decided_at = clock_timestamp() WHERE state = 'pending' AND deadline <= clock_timestamp() RETURNING id")) {
                    ps.setString(1, TIMED_OUT_REASON);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) ended.add(rs.getString(1));
                    }
                }
                if (windows != null) {
                    windows.giveBack(c, ended);
                    // A warrant that expired unused: its call can no longer start, so its reservation goes back too.
                    windows.giveBack(c, FleetWindows.expiredUnused(c, UNUSED_WARRANT_GRACE_MS, 1000));
                }
                c.commit();
                return ended.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private void expireQuietly() {
        try {
            expireDue();
        } catch (RuntimeException e) {
            MagistrateLog.warn(FleetService.class, "replica " + replica + ": timing out due requests failed (next try in a second)", e);
        }
    }

    /** Times this request out if its deadline passed, giving its reservations back in the same transaction; commits. */
    private void expire(Connection c, String id) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        if (windows != null && autoCommit) c.setAutoCommit(false);
        try {
            try (PreparedStatement ps = c.prepareStatement("UPDATE requests SET state = 'timed_out', reason = ?, decided_by = 'timeout',"
                    + " decided_at = clock_timestamp() WHERE id = ? AND state = 'pending' AND deadline <= clock_timestamp()")) {
                ps.setString(1, TIMED_OUT_REASON);
                ps.setString(2, id);
                if (ps.executeUpdate() == 1 && windows != null) windows.giveBack(c, List.of(id));
            }
            if (!c.getAutoCommit()) c.commit();
        } catch (SQLException | RuntimeException e) {
            if (!c.getAutoCommit()) c.rollback();
            throw e;
        } finally {
            if (autoCommit && !c.getAutoCommit()) c.setAutoCommit(true);
        }
    }

    // ---- warrants --------------------------------------------------------------------------------------------------

    /**
     * Checks a warrant as the engine's {@link WarrantVerifier} does (key, algorithm, signature, validity, action, constraints,
     * argument digest), against {@code args} when given, else against the arguments this service recorded for its intent;
     * then whether it was already used. Spends nothing.
     */
    Verification verify(String warrantJson, String action, Map<String, Object> args) {
        Warrant w;
        try {
            w = Warrant.fromJson(warrantJson);
        } catch (WarrantRejectedException e) {
            return new Verification(false, e.warrantId(), e.reason().wireName(), e.getMessage(), false);
        }
        boolean argsGiven = args != null;
        Map<String, Object> checked = args;
        String checkedAction = action != null ? action : w.action();
        if (!argsGiven) {
            Optional<RequestView> r = find(null, w.intentId());
            if (r.isEmpty()) {
                return new Verification(false, w.warrantId(), "unknown_intent", "this service recorded no intent '" + w.intentId()
                        + "'; pass the call's args to check the warrant against them", false);
            }
            checked = parseArgs(r.get().argsJson());
        }
        try {
            verifier.checkWithoutConsuming(w, checkedAction, checked);
        } catch (WarrantRejectedException e) {
            return new Verification(false, w.warrantId(), e.reason().wireName(), e.getMessage(), true);
        }
        Optional<String> used = consumption(w.warrantId());
        if (used.isPresent()) return new Verification(false, w.warrantId(), "replayed", "already used: " + used.get(), true);
        return new Verification(true, w.warrantId(), null, null, true);
    }

    private Optional<String> consumption(String warrantId) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT agent_id, outcome, consumed_at, replica FROM consumptions WHERE warrant_id = ?")) {
            ps.setString(1, warrantId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of("consumed by agent " + rs.getString(1) + " at " + rs.getTimestamp(3).toInstant() + " through replica "
                        + rs.getString(4) + " (outcome " + rs.getString(2) + ")");
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Uses the warrant up for its intent's one execution, or confirms the outcome of an execution it was used up for.
     * Consuming is an INSERT on the warrant id: the first one wins across the fleet, any other is a replay. An execution
     * reported {@code started} (written before the call runs) may be confirmed once as {@code succeeded} or {@code failed}.
     * Returns {@code consumed} or {@code confirmed}.
     */
    String execute(String agent, String intentId, String warrantJson, String outcome, String resultDigest) {
        RequestView r = find(agent, intentId).orElseThrow(() -> new ApiException(404, null, "no intent '" + intentId + "' of agent " + agent));
        Warrant w;
        try {
            w = Warrant.fromJson(warrantJson);
        } catch (WarrantRejectedException e) {
            throw ApiException.badField("warrant", e.getMessage());
        }
        if (!w.intentId().equals(intentId)) throw ApiException.badField("warrant", "issued for intent " + w.intentId() + ", not " + intentId);
        try {
            verifier.checkWithoutConsuming(w, r.action(), parseArgs(r.argsJson()));
        } catch (WarrantRejectedException e) {
            throw new ApiException(409, "warrant", "warrant refused (" + e.reason().wireName() + "): " + e.getMessage());
        }
        try (Connection c = db.getConnection()) {
            if (windows != null) c.setAutoCommit(false); // the consumption and the reservation made final commit together
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO consumptions (warrant_id, request_id, agent_id, outcome, result_digest, replica,"
                    + " confirmed_at) VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? THEN clock_timestamp() END) ON CONFLICT (warrant_id) DO NOTHING")) {
                ins.setString(1, w.warrantId());
                ins.setString(2, intentId);
                ins.setString(3, agent);
                ins.setString(4, outcome);
                ins.setString(5, resultDigest);
                ins.setString(6, replica);
                ins.setBoolean(7, !outcome.equals("started"));
                if (ins.executeUpdate() == 1) {
                    if (windows != null) {
                        if (!FleetWindows.makeFinal(c, intentId)) {
                            c.rollback();
                            throw new ApiException(409, "warrant", "warrant " + w.warrantId() + " refused: it expired unused and what its call"
                                    + " reserved in the policy's windows was given back; submit the intent again");
                        }
                        c.commit();
                    }
                    return "consumed";
                }
            }
            if (windows != null) {
                c.commit();
                c.setAutoCommit(true);
            }
            if (!outcome.equals("started")) {
                try (PreparedStatement confirm = c.prepareStatement("UPDATE consumptions SET outcome = ?, result_digest = ?, confirmed_at = clock_timestamp()"
                        + " WHERE warrant_id = ? AND agent_id = ? AND outcome = 'started'")) {
                    confirm.setString(1, outcome);
                    confirm.setString(2, resultDigest);
                    confirm.setString(3, w.warrantId());
                    confirm.setString(4, agent);
                    if (confirm.executeUpdate() == 1) return "confirmed";
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
        throw new ApiException(409, "warrant", "warrant " + w.warrantId() + " refused (replayed): already used; a warrant authorises one call");
    }

    // ---- refusals --------------------------------------------------------------------------------------------------

    /** Records a refused call; a failure to record is logged, never turned into an acceptance. */
    void recordRefusal(String route, String principal, String subject, int status, String reason) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO refusals (replica, route, principal, subject, status, reason) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, replica);
            ps.setString(2, route);
            ps.setString(3, principal);
            ps.setString(4, subject == null || subject.length() <= 256 ? subject : subject.substring(0, 256));
            ps.setInt(5, status);
            ps.setString(6, reason.length() <= 2000 ? reason : reason.substring(0, 2000));
            ps.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            MagistrateLog.warn(FleetService.class, "replica " + replica + ": a refusal (" + status + " on " + route + ") could not be recorded", e);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    static ApiException unavailable(SQLException e) {
        MagistrateLog.warn(FleetService.class, "the fleet database failed", e);
        return new ApiException(503, null, "the service's database is unavailable; nothing was decided or recorded (" + e.getSQLState() + ")");
    }

    private static byte[] sha256(String token) {
        return HexFormat.of().parseHex(ApproverToken.sha256Hex(token));
    }

    private static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> strings(String json) {
        try {
            return List.of(JSON.readValue(json, String[].class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored list is not JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        timeouts.shutdownNow();
    }
}
