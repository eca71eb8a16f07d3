package dev.magistrate.annotations;

/**
 * Thrown out of a governed method whose action is configured to approve later ({@code magistrate.defer.actions}): the
 * call needs people, waits for them without holding this thread, and did not run. Make the same call again, with the
 * same arguments, once it is approved: that call runs it, once. Made again before, it throws this again for the same
 * intent; after a denial it throws the denial. Tools that return text get the message as their result instead.
 *
 * <p>It extends {@link CallDeniedException}, so code that catches denials still treats the call as not done. Like that
 * class, the agent defines it in the bootstrap class loader, so it is caught by type in every loader.
 */
public class CallApprovalPendingException extends CallDeniedException {

    private static final long serialVersionUID = 1L;

    private final String intentId;

    public CallApprovalPendingException(String message, String intentId) {
        super(message);
        this.intentId = intentId;
    }

    /** The intent that waits for approval: what approvers see, and what the console and the audit trail name. */
    public String intentId() {
        return intentId;
    }
}
