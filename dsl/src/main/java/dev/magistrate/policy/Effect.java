package dev.magistrate.policy;

import java.util.Locale;

/** What a decision lets happen next. */
public enum Effect {
    /** Runs without a human (tier T0). */
    ALLOW,
    /** Runs once the required approvals arrive (tiers T1 to T3). */
    APPROVE,
    /** Never runs: a deny rule matched, and no approver can override it. */
    DENY;

    /** The lower-case name used in JSON, YAML and the CLI. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
