package dev.magistrate.policy;

import dev.magistrate.policy.internal.Expr;

import java.time.Duration;
import java.util.List;

/**
 * One checked policy rule. {@code condition} is null only for a policy set's default, which applies
 * when no rule matches. Optional settings are null when the file leaves them unset.
 *
 * @param tier       null for a deny rule that names no tier, and for a raise rule
 * @param approvals  explicit {@code required_approvals}, or null to take the tier's default
 * @param raiseTier  0, or 1..3 for a raise rule ({@code raise_tier}): it sets nothing, it raises what the others decide
 * @param shadow     {@code shadow: true}: the rule decides only in the shadow policy ({@link PolicySet#shadowPolicy()})
 */
public record Rule(String name, String description, String conditionText, Expr condition, Tier tier,
                   Effect effect, String reason, Integer approvals, List<String> roles, Duration timeout,
                   Duration warrantTtl, Boolean mfa, SourceLocation location, int raiseTier, boolean shadow) {

    public Rule {
        roles = List.copyOf(roles);
        if (effect != Effect.ALLOW && effect != Effect.DENY) throw new IllegalArgumentException("rule effect is allow or deny");
        if (raiseTier < 0 || raiseTier > 3) throw new IllegalArgumentException("raise_tier is 1, 2 or 3");
        if (raiseTier > 0 && (tier != null || effect == Effect.DENY)) throw new IllegalArgumentException("a raise rule sets no tier and no effect");
    }

    /** A rule that sets its tier or denies: neither a raise rule nor a shadow rule. */
    public Rule(String name, String description, String conditionText, Expr condition, Tier tier,
                Effect effect, String reason, Integer approvals, List<String> roles, Duration timeout,
                Duration warrantTtl, Boolean mfa, SourceLocation location) {
        this(name, description, conditionText, condition, tier, effect, reason, approvals, roles, timeout, warrantTtl, mfa, location, 0, false);
    }

    /** A raise rule ({@code raise_tier}) adds tiers to what the other rules decide while its condition holds. */
    public boolean raises() {
        return raiseTier > 0;
    }

    /** This rule as the shadow policy sees it: deciding like any other. */
    Rule unshadowed() {
        return new Rule(name, description, conditionText, condition, tier, effect, reason, approvals, roles, timeout, warrantTtl, mfa,
                location, raiseTier, false);
    }

    public boolean denies() {
        return effect == Effect.DENY;
    }

    /** The tier this rule raises a call to: a deny that names no tier counts as T3. */
    public Tier effectiveTier() {
        return tier != null ? tier : Tier.T3;
    }

    public int effectiveApprovals() {
        if (denies()) return 0;
        return approvals != null ? approvals : tier.defaultApprovals();
    }

    public boolean effectiveMfa() {
        return !denies() && (Boolean.TRUE.equals(mfa) || tier.impliesMfa());
    }
}
