package dev.magistrate.governor;

/**
 * The call waits for approval and did not run: {@link Governor#admitOrDefer} returned at once instead of holding the
 * thread. Making the same call again (same agent, action and arguments) after approvers decided runs it with the warrant
 * issued meanwhile, or reports their denial; made again before, it reports this again, for the same intent. It extends
 * {@link DeniedException} so that code that catches denials still treats the call as not done (fail closed).
 */
public final class ApprovalPendingException extends DeniedException {

    private static final long serialVersionUID = 1L;

    public ApprovalPendingException(String intentId, String action, String waitingFor) {
        super("PENDING: '" + action + "' waits for approval (" + waitingFor + ") and has not run. Make the same call again, with the"
                        + " same arguments, once it is approved: that call runs it, once; until then it returns this again. [intent "
                        + intentId + "]",
                intentId, action, DenialStage.APPROVAL, null, "waits for approval: " + waitingFor);
    }
}
