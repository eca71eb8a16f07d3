package dev.magistrate.governor;

import dev.magistrate.policy.LowerCaseWireName;

/** Where on the path to a warrant an intent was refused (the {@code stage} of an INTENT_DENIED audit entry). */
public enum DenialStage implements LowerCaseWireName {
    /** A deny rule matched, or the policy failed and the engine failed closed. No approver can override it. */
    POLICY,
    /** An approver refused, attached limits the intent exceeds, or approval timed out or was abandoned. */
    APPROVAL,
    /** The approval backend threw or could not reach its approvers. */
    BACKEND,
    /** The audit trail could not record a step, so the step did not happen. */
    AUDIT,
    /** The warrant presented for the call was refused. */
    VERIFICATION,
    /**
     * Approved, but refused just before running: decided again with the policy and approvers in force then, the call is
     * denied, needs more than was approved, or an approval no longer counts.
     */
    RECHECK,
    /**
     * The call could not be governed at all, so it did not run: its action name is not an identifier, an argument cannot
     * be snapshot, or it is a tool method that {@code magistrate.require} says must be governed and is not configured.
     */
    UNGOVERNABLE;
}
