package dev.magistrate.policy;

/** What a decision lets happen next. */
public enum Effect implements LowerCaseWireName {
    /** Runs without a human (tier T0). */
    ALLOW,
    /** Runs once the required approvals arrive (tiers T1 to T3). */
    APPROVE,
    /** Never runs: a deny rule matched, and no approver can override it. */
    DENY;
}
