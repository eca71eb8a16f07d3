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
    private final Rule defaultRule;
    private final ZoneId zone;
    private final String version;
    private final Map<String, String> fileVersions;

    PolicySet(List<Rule> rules, Rule defaultRule, ZoneId zone, String version, Map<String, String> fileVersions) {
        this.rules = List.copyOf(rules);
        this.defaultRule = defaultRule;
        this.zone = zone;
        this.version = version;
        this.fileVersions = Collections.unmodifiableMap(new LinkedHashMap<>(fileVersions));
    }

    public List<Rule> rules() {
        return rules;
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
     * lifetime the shortest. Both the compiled policy and the reference evaluator decide through here.
     */
    public Decision combine(List<Rule> matched) {
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
