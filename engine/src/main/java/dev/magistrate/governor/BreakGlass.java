package dev.magistrate.governor;

import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.MfaVerifier;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.intent.TimeOrderedId;
import dev.magistrate.policy.BreakGlassPolicy;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.warrant.Warrant;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Break-glass grants: in an incident, one person holding a role the policy's {@code break_glass} section names opens a
 * grant (their own credential, a TOTP code checked at that moment, a reason, the actions it covers, a few uses, a short
 * expiry), and calls of those actions run without waiting for approvals, each use audited. A rule marked
 * {@code break_glass: never} cannot be overridden, nor can a rule that enforces a budget (a sliding window). Every grant
 * must then be reviewed by a different approver; until it is, it is listed as unreviewed (console banner,
 * {@code magistrate audit break-glass}). A review ends the grant.
 *
 * <p>The audit trail is the state: grants, their uses and their reviews are rebuilt from it on start, so a restart
 * keeps the uses left and the unreviewed state. Each refusal to open or review is audited as {@code ACCESS} on the
 * channel {@value #CHANNEL}.
 */
public final class BreakGlass {

    /** The ACCESS channel of refused openings and reviews. */
    public static final String CHANNEL = "break-glass";
    /** How a warrant issued under a grant names it among its approvers: {@code break-glass:GRANT_ID}. */
    public static final String APPROVER_PREFIX = "break-glass:";
    /** The MFA a grant was opened with, as audited. */
    static final String MFA_TOTP = "totp";

    /** What one person asks for when opening a grant. {@code totpCode} is checked once and never stored. */
    public record Opening(String approverId, ApproverCredential credential, String totpCode, String reason, List<String> actions,
                          int uses, Duration duration) {
        public Opening {
            actions = actions == null ? List.of() : List.copyOf(actions);
        }

        @Override
        public String toString() {
            return "Opening[" + approverId + ", " + actions + ", uses " + uses + ", " + duration + "]"; // never the code
        }
    }

    /** A review after the fact: {@code ok}, or {@code misuse}. */
    public enum Verdict {
        OK, MISUSE;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Verdict of(String wire) {
            for (Verdict v : values()) if (v.wireName().equals(wire)) return v;
            return null;
        }
    }

    public record Review(String reviewer, Verdict verdict, String comment, Instant at) {
    }

    /** A grant as it stands now. */
    public record Grant(String id, String openedBy, List<String> roles, String reason, List<String> actions, int uses, int used,
                        Instant openedAt, Instant expiresAt, Review review) {
        public int usesLeft() {
            return Math.max(0, uses - used);
        }

        public boolean reviewed() {
            return review != null;
        }

        /** Lets calls through now: not used up, not expired, not reviewed. */
        public boolean live(Instant now) {
            return review == null && used < uses && now.isBefore(expiresAt);
        }

        public boolean covers(String action) {
            for (String glob : actions) if (glob(glob, action)) return true;
            return false;
        }
    }

    /** One grant's state: the fixed terms, the uses taken (atomically), the review. */
    private static final class State {
        final String id, openedBy, reason;
        final List<String> roles, actions;
        final int uses;
        final Instant openedAt, expiresAt;
        final AtomicInteger used = new AtomicInteger();
        volatile Review review;

        State(String id, String openedBy, List<String> roles, String reason, List<String> actions, int uses, Instant openedAt, Instant expiresAt) {
            this.id = id;
            this.openedBy = openedBy;
            this.roles = List.copyOf(roles);
            this.reason = reason;
            this.actions = List.copyOf(actions);
            this.uses = uses;
            this.openedAt = openedAt;
            this.expiresAt = expiresAt;
        }

        Grant view() {
            return new Grant(id, openedBy, roles, reason, actions, uses, Math.min(uses, used.get()), openedAt, expiresAt, review);
        }

        /** Takes one use if one is left and the grant is still live; two racing calls never take more than {@code uses}. */
        int take(Instant now) {
            if (review != null || !now.isBefore(expiresAt)) return -1;
            while (true) {
                int u = used.get();
                if (u >= uses) return -1;
                if (used.compareAndSet(u, u + 1)) return uses - u - 1;
            }
        }
    }

    /**
     * What a grant does for one decided call: {@code grant} is the live grant covering its action (null: none), and
     * {@code refusal} why it cannot let this call through (null: it can).
     */
    record Cover(Grant grant, String refusal) {
        static final Cover NONE = new Cover(null, null);

        boolean overrides() {
            return grant != null && refusal == null;
        }
    }

    private final Governor governor;
    private final Map<String, State> grants = new ConcurrentHashMap<>();

    BreakGlass(Governor governor) {
        this.governor = governor;
    }

    /** The policy's break_glass section in force now, or null when it has none (then no grant can be opened). */
    public BreakGlassPolicy terms() {
        return governor.policy().breakGlass();
    }

    /** Every grant this engine knows (rebuilt from the audit trail on start), oldest first. */
    public List<Grant> grants() {
        List<Grant> all = new ArrayList<>();
        for (State s : grants.values()) all.add(s.view());
        all.sort(Comparator.comparing(Grant::openedAt).thenComparing(Grant::id));
        return all;
    }

    /** The grants no one has reviewed yet, open or closed: what the console shows on every page until they are. */
    public List<Grant> unreviewed() {
        return grants().stream().filter(g -> !g.reviewed()).toList();
    }

    public Optional<Grant> grant(String id) {
        State s = id == null ? null : grants.get(id);
        return s == null ? Optional.empty() : Optional.of(s.view());
    }

    /**
     * Opens a grant, or throws {@link BreakGlassRefusedException} saying why not (and audits the refusal). The TOTP code is
     * checked last, so a code is spent only by an opening that is otherwise valid.
     *
     * @throws RuntimeException when the audit trail cannot record the opening: then no grant exists
     */
    public Grant open(Opening o) {
        Instant now = governor.clock().instant();
        CompiledPolicy policy = governor.policy();
        BreakGlassPolicy terms = policy.breakGlass();
        String subject = o.approverId() == null ? "(none)" : o.approverId();
        if (terms == null) throw refused(subject, "the policy in force has no break_glass section, so break-glass is impossible");
        Approver approver = person(subject, o.credential(), "open a break-glass grant");
        List<String> roles = approver.roles().stream().filter(terms.roles()::contains).sorted().toList();
        if (roles.isEmpty()) {
            throw refused(subject, "'" + subject + "' holds none of the roles that may open a break-glass grant " + terms.roles());
        }
        if (o.reason() == null || o.reason().isBlank()) throw refused(subject, "a break-glass grant needs a reason (the incident, what is broken)");
        if (o.actions().isEmpty()) throw refused(subject, "a break-glass grant names the actions it covers (names or globs like scale_*)");
        for (String a : o.actions()) {
            if (a == null || a.isBlank() || a.strip().equals("*") || !a.matches("[A-Za-z0-9_.:*-]{1,128}")) {
                throw refused(subject, "action '" + a + "' is not an action name or a glob like scale_* (a lone * would cover everything)");
            }
        }
        if (o.uses() < 1 || o.uses() > terms.maxUses()) {
            throw refused(subject, "uses must be from 1 to " + terms.maxUses() + " (the policy's max_uses), not " + o.uses());
        }
        if (o.duration() == null || o.duration().isZero() || o.duration().isNegative() || o.duration().compareTo(terms.maxDuration()) > 0) {
            throw refused(subject, "the expiry must be positive and at most " + terms.maxDuration().toMinutes() + " minutes (the policy's"
                    + " max_duration), not " + o.duration());
        }
        MfaVerifier.Attempt mfa = governor.mfa().attempt(approver, o.totpCode(), now);
        if (!mfa.accepted()) {
            throw refused(subject, "MFA failed: " + mfa.rejection().replace("this intent requires MFA", "break-glass requires a TOTP code"));
        }
        String id = "bg-" + TimeOrderedId.next();
        Instant expires = now.plus(o.duration());
        List<String> actions = o.actions().stream().map(String::strip).toList();
        governor.record(id, new AuditPayload.BreakGlassOpened(id, subject, roles, o.credential().method(), MFA_TOTP, o.reason().strip(),
                actions, o.uses(), expires.toString(), policy.version()));
        State s = new State(id, subject, roles, o.reason().strip(), actions, o.uses(), now, expires);
        grants.put(id, s);
        return s.view();
    }

    /**
     * Records a review of a grant by another approver than its opener, with a comment; the review ends the grant. Throws
     * {@link BreakGlassRefusedException} (audited) when the grant is unknown or already reviewed, the reviewer is not an
     * approver or did not present their own credential, reviews their own grant, or gives no comment.
     */
    public Grant review(String grantId, String reviewerId, ApproverCredential credential, String verdict, String comment) {
        String subject = reviewerId == null ? "(none)" : reviewerId;
        State s = grantId == null ? null : grants.get(grantId);
        if (s == null) throw refused(subject, "no break-glass grant '" + grantId + "'");
        person(subject, credential, "review a break-glass grant");
        if (subject.equals(s.openedBy)) {
            throw refused(subject, "'" + subject + "' opened grant " + s.id + ": a grant is reviewed by a different approver");
        }
        Verdict v = Verdict.of(verdict);
        if (v == null) throw refused(subject, "a review's verdict is ok or misuse, not '" + verdict + "'");
        if (comment == null || comment.isBlank()) throw refused(subject, "a review needs a comment (what was done, and whether it was needed)");
        synchronized (s) {
            if (s.review != null) throw refused(subject, "grant " + s.id + " was already reviewed by " + s.review.reviewer());
            governor.record(s.id, new AuditPayload.BreakGlassReviewed(s.id, subject, credential.method(), v.wireName(), comment.strip()));
            s.review = new Review(subject, v, comment.strip(), governor.clock().instant());
        }
        return s.view();
    }

    /** The approver named, when the credential is their own; otherwise a refusal. Never quotes a secret. */
    private Approver person(String subject, ApproverCredential proof, String what) {
        ApproverDirectory directory = governor.approvers();
        Optional<Approver> found = directory.find(subject);
        if (found.isEmpty()) throw refused(subject, "unknown approver '" + subject + "'");
        Approver a = found.get();
        if (proof == null) throw refused(subject, "to " + what + ", '" + subject + "' must present their own credential (personal token or sign-in)");
        if (proof instanceof ApproverCredential.SignedIn in) {
            if (!in.approverId().equals(subject)) throw refused(subject, "signed in as '" + in.approverId() + "', not as '" + subject + "'");
            return a;
        }
        if (!a.hasToken() || !a.tokenMatches(((ApproverCredential.PersonalToken) proof).token())) {
            throw refused(subject, "the credential presented is not " + subject + "'s personal token");
        }
        return a;
    }

    private BreakGlassRefusedException refused(String subject, String why) {
        try {
            governor.record(AuditPayload.Access.ACCESS_INTENT_ID, new AuditPayload.Access(CHANNEL, subject, false, null, why));
        } catch (RuntimeException e) {
            dev.magistrate.log.MagistrateLog.error(BreakGlass.class, "audit trail failing; break-glass refusal unrecorded: " + why, e);
        }
        return new BreakGlassRefusedException(why);
    }

    /**
     * Whether a live grant covers this decided call, and whether it may let it through. An allow needs no grant. An
     * approve is let through unless a matched rule is marked {@code break_glass: never}; a deny too, unless it is a
     * fail-closed denial (the policy could not decide) or a denying rule enforces a budget (reads a window).
     */
    Cover cover(String action, Decision d, CompiledPolicy p) {
        if (grants.isEmpty() || d.effect() == Effect.ALLOW) return Cover.NONE; // the common path: nothing read, nothing allocated
        Instant now = governor.clock().instant();
        Grant live = null;
        for (State s : grants.values()) {
            Grant g = s.view();
            if (g.live(now) && g.covers(action)) {
                live = g;
                break;
            }
        }
        if (live == null) return Cover.NONE;
        BreakGlassPolicy terms = p.breakGlass();
        if (terms == null) return new Cover(live, "the policy in force has no break_glass section");
        for (String rule : d.matchedRules()) {
            if (terms.neverRules().contains(rule)) return new Cover(live, "rule '" + rule + "' is marked break_glass: never: break-glass cannot override it");
        }
        if (d.effect() == Effect.DENY) {
            for (String rule : d.denyReasons().keySet()) {
                if (rule.equals(Decision.FAIL_CLOSED)) return new Cover(live, "the policy could not decide: break-glass does not override that");
                if (!p.windowsOf(rule).isEmpty()) {
                    return new Cover(live, "rule '" + rule + "' enforces a budget (a sliding window): break-glass does not lift budgets");
                }
            }
        }
        return new Cover(live, null);
    }

    /** Takes one use of the grant for this call; the uses left, or -1 when it is used up, expired or reviewed meanwhile. */
    int take(Grant g) {
        State s = grants.get(g.id());
        return s == null ? -1 : s.take(governor.clock().instant());
    }

    /** What the grant overrides in a decision: the denying rules of a deny, the matched rules (or the default) of an approve. */
    static List<String> overridden(Decision d) {
        if (d.effect() == Effect.DENY) return List.copyOf(d.denyReasons().keySet());
        return d.matchedRules().isEmpty() ? List.of("default") : d.matchedRules();
    }

    /** Whether a warrant was issued under a grant (it names the grant as its one approver). */
    static boolean issuedUnder(Warrant w) {
        return w.approvedBy().size() == 1 && w.approvedBy().get(0).startsWith(APPROVER_PREFIX);
    }

    /** The entry types a grant's state is read from: what a pass over the trail needs to decode for it. */
    static boolean reads(AuditEventType type) {
        return type == AuditEventType.BREAK_GLASS_OPENED || type == AuditEventType.BREAK_GLASS_USED || type == AuditEventType.BREAK_GLASS_REVIEWED;
    }

    /** Takes one audit entry of the trail being read at start (the engine's one pass, {@code PendingAtRestart.find}). */
    void rebuild(CanonicalEntry.Decoded entry) {
        track(grants, entry.event());
    }

    /**
     * The grants recorded in the audit trail in {@code dir}, with their uses and reviews, oldest first: what
     * {@code magistrate audit break-glass} lists. Reads only; the trail may be open for writing by a running engine.
     */
    public static List<Grant> inAuditTrail(Path dir) {
        Map<String, State> found = new LinkedHashMap<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded entry;
            while ((entry = reader.nextEntry(BreakGlass::reads)) != null) track(found, entry.event());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read the break-glass grants from the audit trail in " + dir + ": " + e.getMessage(), e);
        }
        return found.values().stream().map(State::view).toList();
    }

    private static void track(Map<String, State> found, AuditEvent e) {
        switch (e.type()) {
            case BREAK_GLASS_OPENED -> {
                AuditPayload.BreakGlassOpened o = (AuditPayload.BreakGlassOpened) e.payload();
                found.put(o.grantId(), new State(o.grantId(), o.openedBy(), o.roles(), o.reason(), o.actions(), (int) o.uses(),
                        e.time(), Instant.parse(o.expiresAt())));
            }
            case BREAK_GLASS_USED -> {
                State s = found.get(((AuditPayload.BreakGlassUsed) e.payload()).grantId());
                if (s != null) s.used.incrementAndGet();
            }
            case BREAK_GLASS_REVIEWED -> {
                AuditPayload.BreakGlassReviewed r = (AuditPayload.BreakGlassReviewed) e.payload();
                State s = found.get(r.grantId());
                if (s != null) s.review = new Review(r.reviewer(), Verdict.of(r.verdict()), r.comment(), e.time());
            }
            default -> {
            }
        }
    }

    /** {@code *} matches any run of characters; everything else matches itself. */
    static boolean glob(String glob, String action) {
        if (action == null) return false;
        if (!glob.contains("*")) return glob.equals(action);
        String[] parts = glob.split("\\*", -1);
        if (!action.startsWith(parts[0])) return false;
        int at = parts[0].length();
        for (int i = 1; i < parts.length - 1; i++) {
            int found = action.indexOf(parts[i], at);
            if (found < 0) return false;
            at = found + parts[i].length();
        }
        String last = parts[parts.length - 1];
        return action.length() - at >= last.length() && action.endsWith(last);
    }
}
