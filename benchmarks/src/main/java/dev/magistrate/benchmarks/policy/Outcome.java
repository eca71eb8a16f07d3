package dev.magistrate.benchmarks.policy;

/**
 * The answer every engine must agree on: run now, ask a person, or never. Magistrate computes more
 * (tier, approvals, roles, ...), but this is what every peer can express, so it is what is compared.
 */
public enum Outcome {
    ALLOW, APPROVE, DENY;

    /**
     * Magistrate's combination rule, for engines that only evaluate conditions (JEXL, MVEL): any
     * matched deny wins; otherwise the highest matched tier decides (T0 allows); nothing matched is T1.
     *
     * @param anyDeny    a deny rule matched
     * @param highestTier the highest tier among matched rules, or -1 when none matched
     */
    public static Outcome combine(boolean anyDeny, int highestTier) {
        if (anyDeny) return DENY;
        if (highestTier == 0) return ALLOW;
        return APPROVE;
    }
}
