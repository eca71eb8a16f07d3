package dev.magistrate.governor;

import dev.magistrate.policy.LowerCaseWireName;

/**
 * Where a deferred call ({@link Governor#admitOrDefer}) stands, for an application that resumes its own flow when
 * approvers decide: {@link Governor#status}, {@link Governor#whenDecided}.
 *
 * @param detail the denial or the approver's question for {@code DENIED} and {@code NEEDS_INFORMATION}; else null
 */
public record ApprovalStatus(String intentId, State state, String detail) {

    public enum State implements LowerCaseWireName {
        /** Approvers have not decided yet. */
        PENDING,
        /** Approved: the same call made again runs it. */
        APPROVED,
        /** Approved, and the call made again ran it. */
        RAN,
        /** Denied, timed out, or refused when made again; {@code detail} says why. */
        DENIED,
        /** An approver asked a question ({@code detail}); answer it with a new call. */
        NEEDS_INFORMATION,
        /** Not a deferred call this process knows: never made, decided long ago, or made before a restart. */
        UNKNOWN;

        /** Approvers are done with it, one way or the other. */
        public boolean decided() {
            return this != PENDING && this != UNKNOWN;
        }
    }
}
