package dev.magistrate.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of deciding one call against a policy set. Immutable; decisions for the same set of
 * matched rules are shared, so deciding allocates nothing in the common case.
 */
public final class Decision {

    private final Effect effect;
    private final Tier tier;
    private final List<String> matchedRules;
    private final int requiredApprovals;
    private final List<String> requiredRoles;
    private final boolean mfaRequired;
    private final Duration approvalTimeout;
    private final Duration warrantTtl;
    private final Map<String, String> denyReasons;
    private final String policyVersion;

    public Decision(Effect effect, Tier tier, List<String> matchedRules, int requiredApprovals,
                    List<String> requiredRoles, boolean mfaRequired, Duration approvalTimeout,
                    Duration warrantTtl, Map<String, String> denyReasons, String policyVersion) {
        this.effect = Objects.requireNonNull(effect, "effect");
        this.tier = Objects.requireNonNull(tier, "tier");
        this.matchedRules = List.copyOf(matchedRules);
        this.requiredApprovals = requiredApprovals;
        this.requiredRoles = List.copyOf(requiredRoles);
        this.mfaRequired = mfaRequired;
        this.approvalTimeout = Objects.requireNonNull(approvalTimeout, "approvalTimeout");
        this.warrantTtl = Objects.requireNonNull(warrantTtl, "warrantTtl");
        this.denyReasons = Collections.unmodifiableMap(new LinkedHashMap<>(denyReasons));
        this.policyVersion = Objects.requireNonNull(policyVersion, "policyVersion");
        if (effect == Effect.DENY && this.denyReasons.isEmpty()) {
            throw new IllegalArgumentException("a deny decision needs a reason");
        }
    }

    /** The {@link #denyReasons()} key of a {@link #failClosed} denial: no rule denied, the policy could not decide. */
    public static final String FAIL_CLOSED = "(fail-closed)";

    /** A denial that no policy produced: the policy could not be loaded, or evaluation failed. */
    public static Decision failClosed(String reason, String policyVersion) {
        return new Decision(Effect.DENY, Tier.T3, List.of(), 0, List.of(), false, Duration.ZERO,
                Duration.ZERO, Map.of(FAIL_CLOSED, reason), policyVersion);
    }

    /**
     * This decision, raised to at least {@code floor}: a developer's {@code minimumTier} can make a call
     * stricter, never looser. A denial, or a decision already at or above the floor, is returned as is;
     * otherwise the tier's defaults apply and {@code why} joins the matched rules, so the audit says why.
     */
    public Decision atLeast(Tier floor, String why) {
        if (floor == null || effect == Effect.DENY || tier.compareTo(floor) >= 0) return this;
        List<String> rules = new ArrayList<>(matchedRules);
        rules.add(why);
        return new Decision(floor == Tier.T0 ? Effect.ALLOW : Effect.APPROVE, floor, rules,
                Math.max(requiredApprovals, floor.defaultApprovals()), requiredRoles, mfaRequired || floor.impliesMfa(),
                approvalTimeout, warrantTtl, denyReasons, policyVersion);
    }

    public Effect effect() { return effect; }

    public Tier tier() { return tier; }

    /** Names of every rule whose condition held, in policy order; empty when the default applied. */
    public List<String> matchedRules() { return matchedRules; }

    public int requiredApprovals() { return requiredApprovals; }

    /** Roles that the approvers together must cover, each at least once. */
    public List<String> requiredRoles() { return requiredRoles; }

    public boolean mfaRequired() { return mfaRequired; }

    /** How long to wait for approvals before the call is denied. */
    public Duration approvalTimeout() { return approvalTimeout; }

    /** How long a warrant issued for this decision stays valid. */
    public Duration warrantTtl() { return warrantTtl; }

    /** For a denial: the denying rule's name to its reason, in policy order. */
    public Map<String, String> denyReasons() { return denyReasons; }

    /** The hash of the policy set that decided. */
    public String policyVersion() { return policyVersion; }

    public boolean isDefault() { return matchedRules.isEmpty(); }

    /** {@link #explain()}, made on first use: decisions are shared per matched rule set, so each line is built once, not per call. */
    private String explanation;

    /** One line a person or a model can read: what was decided and because of which rules. */
    public String explain() {
        String e = explanation; // a race builds two equal strings; a String is safe to publish without a lock
        if (e == null) explanation = e = explanation();
        return e;
    }

    private String explanation() {
        StringBuilder sb = new StringBuilder();
        sb.append(effect.wireName()).append(" at ").append(tier);
        if (effect == Effect.DENY) {
            sb.append(": ");
            boolean first = true;
            for (Map.Entry<String, String> e : denyReasons.entrySet()) {
                if (!first) sb.append("; ");
                first = false;
                sb.append("rule '").append(e.getKey()).append("': ").append(e.getValue());
            }
            return sb.toString();
        }
        if (effect == Effect.APPROVE) {
            sb.append(", ").append(requiredApprovals).append(requiredApprovals == 1 ? " approval" : " approvals");
            if (!requiredRoles.isEmpty()) sb.append(" covering roles ").append(requiredRoles);
            if (mfaRequired) sb.append(", MFA");
            sb.append(", timeout ").append(dev.magistrate.policy.internal.Durations.format(approvalTimeout));
        }
        sb.append(matchedRules.isEmpty() ? " (no rule matched: policy default)" : " (rules " + matchedRules + ")");
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Decision)) return false;
        Decision d = (Decision) o;
        return effect == d.effect && tier == d.tier && requiredApprovals == d.requiredApprovals
                && mfaRequired == d.mfaRequired && matchedRules.equals(d.matchedRules)
                && requiredRoles.equals(d.requiredRoles) && approvalTimeout.equals(d.approvalTimeout)
                && warrantTtl.equals(d.warrantTtl) && denyReasons.equals(d.denyReasons)
                && policyVersion.equals(d.policyVersion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(effect, tier, matchedRules, requiredApprovals, requiredRoles, mfaRequired,
                approvalTimeout, warrantTtl, denyReasons, policyVersion);
    }

    @Override
    public String toString() {
        return "Decision[" + explain() + "]";
    }
}
