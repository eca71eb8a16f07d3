package dev.magistrate.policy;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A loaded and checked policy set: the rules of one or more files in order, the default for calls
 * that no rule matches, and the hash that identifies this exact set in every decision.
 */
public final class PolicySet {

    /** Approval timeout where no matched rule sets {@code timeout}. */
    public static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(15);
    /** Warrant lifetime where no matched rule sets {@code warrant_ttl}: short, so a warrant is used now or never. */
    public static final Duration DEFAULT_WARRANT_TTL = Duration.ofMinutes(5);
    /** Without a {@code default}, an unmatched call needs one approval: never T0. */
    static final Rule IMPLICIT_DEFAULT = new Rule("default", "implicit default: one approval", null, null, Tier.T1,
            Effect.ALLOW, null, null, List.of(), null, null, null, null);

    private final List<Rule> rules;
    private final List<Rule> shadowRules;
    private final List<Rule> allRules;
    private final Rule defaultRule;
    private final ZoneId zone;
    private final String version;
    private final Map<String, String> fileVersions;
    private final BreakGlassPolicy breakGlass;
    private final List<RollbackTrigger> rollbacks;

    /** {@code rules} in file order, shadow rules among them: they are kept apart here and decide only in {@link #shadowPolicy()}. */
    PolicySet(List<Rule> rules, Rule defaultRule, ZoneId zone, String version, Map<String, String> fileVersions,
              BreakGlassPolicy breakGlass, List<RollbackTrigger> rollbacks) {
        this.rules = rules.stream().filter(r -> !r.shadow()).toList();
        this.shadowRules = rules.stream().filter(Rule::shadow).toList();
        this.allRules = List.copyOf(rules);
        this.defaultRule = defaultRule;
        this.zone = zone;
        this.version = version;
        this.fileVersions = Collections.unmodifiableMap(new LinkedHashMap<>(fileVersions));
        this.breakGlass = breakGlass;
        this.rollbacks = List.copyOf(rollbacks);
    }

    /** The rules in force, in file order: every rule but the shadow rules. */
    public List<Rule> rules() {
        return rules;
    }

    /** The rules marked {@code shadow: true}, in file order. */
    public List<Rule> shadowRules() {
        return shadowRules;
    }

    /**
     * What the set would decide with its shadow rules in force: every rule in file order, shadow or not, with the
     * same default, zone and version (the files are the same); null when the set has no shadow rule.
     */
    public PolicySet shadowPolicy() {
        if (shadowRules.isEmpty()) return null;
        List<Rule> all = new ArrayList<>(allRules.size());
        for (Rule r : allRules) all.add(r.shadow() ? r.unshadowed() : r);
        return new PolicySet(all, defaultRule, zone, version, fileVersions, breakGlass, rollbacks);
    }

    /** The {@code break_glass} section, or null when the policy has none (then no break-glass grant can be opened). */
    public BreakGlassPolicy breakGlass() {
        return breakGlass;
    }

    /** The {@code rollbacks:} entries of every file, in file order: when a tool's compensating action runs. */
    public List<RollbackTrigger> rollbacks() {
        return rollbacks;
    }

    /** What applies when no rule matches. */
    public Rule defaultRule() {
        return defaultRule;
    }

    /** The zone in which {@code time.hour} and {@code time.weekday} are read (UTC unless set). */
    public ZoneId zone() {
        return zone;
    }

    /** SHA-256 (hex) over the files' names and bytes. */
    public String version() {
        return version;
    }

    /** Each file's own {@code version} key, where it has one. */
    public Map<String, String> fileVersions() {
        return fileVersions;
    }

    /**
     * Combines matched rules into a decision: any deny wins (deny-overrides); otherwise the highest
     * tier; approvals the maximum, roles the union, MFA if any asks, timeout the longest, warrant
     * lifetime the shortest; then raise rules raise the tier (see {@link #raised}). Both the compiled policy and the
     * reference evaluator decide through here.
     */
    public Decision combine(List<Rule> matched) {
        List<Rule> deciding = matched;
        int raise = 0;
        for (Rule r : matched) raise += r.raiseTier();
        if (raise > 0) deciding = matched.stream().filter(r -> !r.raises()).toList();
        Decision d = combineDeciding(deciding);
        return raise == 0 ? d : raised(d, raise, matched);
    }

    /**
     * Raise rules add up (two risks at once raise more than one), capped at T3. A raise never lowers and never
     * touches a deny; a T0 allow raised becomes an approve with the new tier's defaults, as {@link Decision#atLeast}
     * does. Raise rules join the matched rules, in policy order, only when they raised the tier.
     */
    private Decision raised(Decision d, int raise, List<Rule> matched) {
        if (d.effect() == Effect.DENY || d.tier() == Tier.T3) return d;
        Tier tier = Tier.values()[Math.min(Tier.T3.ordinal(), d.tier().ordinal() + raise)];
        List<String> names = new ArrayList<>(matched.size());
        for (Rule r : matched) names.add(r.name());
        return new Decision(Effect.APPROVE, tier, names, Math.max(d.requiredApprovals(), tier.defaultApprovals()), d.requiredRoles(),
                d.mfaRequired() || tier.impliesMfa(), d.approvalTimeout(), d.warrantTtl(), Map.of(), version);
    }

    private Decision combineDeciding(List<Rule> matched) {
        List<Rule> applied = matched.isEmpty() ? List.of(defaultRule) : matched;
        List<String> names = new ArrayList<>(matched.size());
        for (Rule r : matched) names.add(r.name());
        Tier tier = Tier.T0;
        Map<String, String> denyReasons = new LinkedHashMap<>();
        for (Rule r : applied) {
            tier = Tier.max(tier, r.effectiveTier());
            if (r.denies()) denyReasons.put(r.name(), r.reason());
        }
        if (!denyReasons.isEmpty()) {
            return new Decision(Effect.DENY, tier, names, 0, List.of(), false, Duration.ZERO, Duration.ZERO,
                    denyReasons, version);
        }
        int approvals = tier.defaultApprovals();
        LinkedHashSet<String> roles = new LinkedHashSet<>();
        boolean mfa = false;
        Duration timeout = null;
        Duration ttl = null;
        for (Rule r : applied) {
            approvals = Math.max(approvals, r.effectiveApprovals());
            roles.addAll(r.roles());
            mfa |= r.effectiveMfa();
            if (r.timeout() != null && (timeout == null || r.timeout().compareTo(timeout) > 0)) timeout = r.timeout();
            if (r.warrantTtl() != null && (ttl == null || r.warrantTtl().compareTo(ttl) < 0)) ttl = r.warrantTtl();
        }
        Effect effect = tier == Tier.T0 ? Effect.ALLOW : Effect.APPROVE;
        return new Decision(effect, tier, names, approvals, List.copyOf(roles), mfa || tier.impliesMfa(),
                timeout != null ? timeout : DEFAULT_APPROVAL_TIMEOUT, ttl != null ? ttl : DEFAULT_WARRANT_TTL,
                Map.of(), version);
    }
}
