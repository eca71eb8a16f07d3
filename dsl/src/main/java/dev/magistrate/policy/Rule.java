package dev.magistrate.policy;

import dev.magistrate.policy.internal.Expr;

import java.time.Duration;
import java.util.List;

/**
 * One checked policy rule. {@code condition} is null only for a policy set's default, which applies
 * when no rule matches. Optional settings are null when the file leaves them unset.
 *
 * @param tier       null only for a deny rule that names no tier
 * @param approvals  explicit {@code required_approvals}, or null to take the tier's default
 */
public record Rule(String name, String description, String conditionText, Expr condition, Tier tier,
                   Effect effect, String reason, Integer approvals, List<String> roles, Duration timeout,
                   Duration warrantTtl, Boolean mfa, SourceLocation location) {

    public Rule {
        roles = List.copyOf(roles);
        if (effect != Effect.ALLOW && effect != Effect.DENY) throw new IllegalArgumentException("rule effect is allow or deny");
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
