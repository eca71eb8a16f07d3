package dev.magistrate.warrant;

import dev.magistrate.policy.LowerCaseWireName;

/** Every reason a warrant is refused, each checked separately so the caller learns exactly which. */
public enum RejectionReason implements LowerCaseWireName {
    /** Not a warrant: bad JSON, a missing, extra or non-canonical field. */
    MALFORMED,
    /** No key with the warrant's key id; no other key is tried. */
    UNKNOWN_KEY,
    /** The warrant names an algorithm other than the one its key is for. */
    ALGORITHM_MISMATCH,
    BAD_SIGNATURE,
    EXPIRED,
    NOT_YET_VALID,
    /** The call about to run is not the action the warrant was issued for. */
    ACTION_MISMATCH,
    /** The call's arguments break a constraint an approver attached. */
    CONSTRAINT_VIOLATED,
    /** The call's arguments differ from those approved. */
    ARGS_MISMATCH,
    /** The warrant was already used: warrants are single-use, across restarts too. */
    REPLAYED,
    /** Consumption could not be recorded durably, so the warrant is refused rather than risk a replay. */
    LEDGER_FAILURE;
}
