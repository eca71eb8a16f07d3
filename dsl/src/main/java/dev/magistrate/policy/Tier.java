package dev.magistrate.policy;

/** Risk tiers, ordered: a higher ordinal is a riskier call. */
public enum Tier {
    /** Auto-approved: no human is asked. */
    T0(0, false),
    /** One approval. */
    T1(1, false),
    /** Multi-party: two distinct approvers unless a rule asks for more. */
    T2(2, false),
    /** Named roles plus MFA from every approver. */
    T3(2, true);

    private final int defaultApprovals;
    private final boolean impliesMfa;

    Tier(int defaultApprovals, boolean impliesMfa) {
        this.defaultApprovals = defaultApprovals;
        this.impliesMfa = impliesMfa;
    }

    /** Approvals this tier needs where a rule leaves {@code required_approvals} unset. */
    public int defaultApprovals() {
        return defaultApprovals;
    }

    public boolean impliesMfa() {
        return impliesMfa;
    }

    public static Tier max(Tier a, Tier b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
