package dev.magistrate.governor;

/**
 * An approver asked for more information before deciding: the intent ended in the state
 * {@code needs_information} and the call did not run. It is not a denial, but it extends
 * {@link DeniedException} so that code that catches denials still does not run the call (fail closed).
 * The message is the approver's question, worded for the agent (often a language model) so it can
 * answer in a new call, which the engine links to this intent ({@code parent_intent_id}).
 */
public final class NeedsInformationException extends DeniedException {

    private static final long serialVersionUID = 1L;

    private final String question;

    public NeedsInformationException(String intentId, String action, String approver, String question) {
        super("The approver " + approver + " asked for more information before deciding: " + sentence(question)
                        + " Answer it by calling " + action + " again with the answer in its justification. [intent " + intentId + "]",
                intentId, action, DenialStage.APPROVAL, approver, question);
        this.question = question;
    }

    private static String sentence(String question) {
        String q = question.strip();
        char last = q.charAt(q.length() - 1);
        return last == '.' || last == '?' || last == '!' ? q : q + ".";
    }

    /** The approver's question, as asked. */
    public String question() {
        return question;
    }

    /** The approver who asked. */
    public String askedBy() {
        return deniedBy();
    }
}
