package dev.magistrate.approval;

/**
 * Where a backend delivers what it hears about one request. The engine provides one per request;
 * it is thread-safe, and every call is checked and audited by the engine.
 */
public interface VoteSink {

    /** Delivers a vote; the result says whether it counted and why not. Votes after the intent ended are ignored. */
    VoteResult vote(Vote vote);

    /** The backend cannot reach its approvers for this request: the intent is denied (fail closed). */
    void fail(String reason);

    /**
     * Approves without a person, on behalf of a backend whose {@link ApprovalBackend#automatic()} is true.
     * Refused when the intent needs MFA: no automatic approval can supply TOTP codes.
     */
    VoteResult approveAutomatically(String note);
}
