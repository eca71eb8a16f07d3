package dev.magistrate.approval;

/**
 * What the engine made of a vote: whether it counted, why not if it did not, and the intent's state
 * after it ({@code pending}, {@code granted}, {@code denied}, {@code timed_out}, {@code needs_information}). {@code refusal}
 * says what kind of refusal it was when the backend should answer differently (a remote backend
 * answers {@link Refusal#CREDENTIAL} as 403 and {@link Refusal#LOCKED} as 429); null otherwise.
 */
public record VoteResult(boolean accepted, String rejection, String state, Refusal refusal) {

    /** Refusals a backend may want to tell apart. */
    public enum Refusal {
        /** The vote did not carry the approver's own personal credential. */
        CREDENTIAL,
        /** Too many wrong TOTP codes: MFA approvals are locked for a while. */
        LOCKED
    }

    public VoteResult(boolean accepted, String rejection, String state) {
        this(accepted, rejection, state, null);
    }

    public static VoteResult accepted(String state) {
        return new VoteResult(true, null, state);
    }

    public static VoteResult rejected(String why, String state) {
        return new VoteResult(false, why, state);
    }

    public static VoteResult refused(Refusal kind, String why, String state) {
        return new VoteResult(false, why, state, kind);
    }
}
