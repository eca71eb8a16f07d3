package dev.magistrate.benchmarks.policy;

import java.util.List;

/**
 * One rule of the generated policy, independent of any engine: {@code action == action} and every
 * condition in {@code conditions}. A {@link Outcome#DENY} rule denies; the others set a tier
 * (0 allows, 1 to 3 ask for approval).
 */
public record RuleSpec(String name, Outcome kind, int tier, String action, List<Condition> conditions) {

    public RuleSpec {
        conditions = List.copyOf(conditions);
        if (kind == Outcome.DENY && tier != 3) throw new IllegalArgumentException("a deny counts as T3");
        if (kind == Outcome.ALLOW && tier != 0) throw new IllegalArgumentException("an allow rule is T0");
        if (kind == Outcome.APPROVE && (tier < 1 || tier > 3)) throw new IllegalArgumentException("approve is T1 to T3");
    }
}
