package dev.magistrate.annotations;

/**
 * Thrown out of a governed method whose approver asked for more information before deciding: the call did
 * not run, and it was not denied either. The message is the question, worded for the agent (often a
 * language model): answer it by calling the same tool again with the answer in its justification; that
 * call is linked to this one, so the approver sees both side by side.
 *
 * <p>It extends {@link CallDeniedException}, so code that catches denials still treats the call as not
 * done. Like that class, the agent defines it in the bootstrap class loader, so it is caught by type in
 * every loader.
 */
public class CallNeedsInformationException extends CallDeniedException {

    private static final long serialVersionUID = 1L;

    private final String question;
    private final String approver;
    private final String intentId;

    public CallNeedsInformationException(String message, String question, String approver, String intentId) {
        super(message);
        this.question = question;
        this.approver = approver;
        this.intentId = intentId;
    }

    /** The approver's question, as asked. */
    public String question() {
        return question;
    }

    /** Who asked. */
    public String approver() {
        return approver;
    }

    /** The intent that needs the information: the answering call's {@code parent_intent_id}. */
    public String intentId() {
        return intentId;
    }
}
