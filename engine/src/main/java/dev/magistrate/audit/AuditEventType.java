package dev.magistrate.audit;

import java.util.List;

/** Every step of a governed call that the audit trail records, in the order they happen. */
public enum AuditEventType {
    INTENT_SUBMITTED,
    DECISION,
    APPROVAL_REQUESTED,
    VOTE,
    WARRANT_ISSUED,
    INTENT_DENIED,
    INTENT_TIMED_OUT,
    WARRANT_VERIFIED,
    WARRANT_REJECTED,
    EXECUTION_STARTED,
    EXECUTION_COMPLETED,
    EXECUTION_FAILED,
    /** Not a step of a call: the writer found records torn by a failed write (a full disk) and resumed after them. */
    LOG_RECOVERED,
    /**
     * Not a step of a call: someone reached for the approval surface (a sign-in, a chat callback) and was let in or refused
     * before any vote existed: a wrong password, a bad or replayed signature, an unmapped chat user.
     */
    ACCESS,
    /**
     * An approver approved with changed arguments and the engine accepted the edit (decided again by the policy):
     * the warrant, if one is issued, binds the approved arguments.
     */
    ARGUMENTS_EDITED,
    /** An approver asked for more information: the intent ended in the state {@code needs_information}, without running. */
    INFORMATION_REQUESTED,
    /**
     * The process stopped while the intent waited for approval (found on the next start): its caller is gone, so it can
     * never run, and no vote can bring it back. A call made again after the restart names it as its parent.
     */
    INTENT_ABANDONED,
    /**
     * The shadow policy (shadow rules, or a candidate policy set) decided the same call otherwise than the live policy,
     * which governed it: what the shadow would have done. Written only where they differ; it never affects the call.
     */
    SHADOW_DECISION,
    /** Not a step of a call: a new policy version was put in force (by the file watcher, the console or the CLI). */
    POLICY_LOADED,
    /** Not a step of a call: a policy change was refused (it does not load); the version named keeps deciding. */
    POLICY_REJECTED,
    /**
     * Not a step of a call: one person opened a break-glass grant (intent id: the grant id), letting the actions it names
     * run without approvals, for a few uses and a short time.
     */
    BREAK_GLASS_OPENED,
    /** A break-glass grant let this call through: it would have waited for approvals, or been denied by an overridable rule. */
    BREAK_GLASS_USED,
    /** Not a step of a call: a different approver reviewed a break-glass grant after the fact (intent id: the grant id). */
    BREAK_GLASS_REVIEWED,
    /**
     * A governed call's rollback was triggered (its body threw, or a watched condition held within the window after it): the
     * entry's intent is the original call; the compensating call, if it could be made, is {@code rollback_intent_id}, a
     * governed call of its own whose parent is the original.
     */
    ROLLBACK_TRIGGERED,
    /**
     * Not a step of a call: the fleet service, acting as this log's witness, refused a signed checkpoint (a fork, a rollback,
     * a bad signature, an unknown agent): the log is no longer witnessed until the engine restarts (docs/fleet.md).
     */
    WITNESS_REFUSED,
    /**
     * The fleet service answered about a call this engine sent it ({@code magistrate.approvals=remote}): pending (with the
     * service's request id, written before the call waits), or its final verdict; the local WARRANT_ISSUED or INTENT_DENIED
     * follows a final one.
     */
    FLEET_ANSWER,
    /**
     * A T0 call allowed and run in this process (no approval, no warrant): submitted, decided and started in one entry, written
     * before the body runs and carrying every field of INTENT_SUBMITTED and DECISION (its EXECUTION_STARTED would hold only a
     * null warrant id). Its outcome follows as EXECUTION_COMPLETED or EXECUTION_FAILED. Readers take it as those three steps
     * ({@link #steps()}, {@link AuditPayload#steps()}); trails written before it keep their separate entries and meaning.
     */
    CALL_GRANTED;

    private static final List<AuditEventType> GRANTED_STEPS = List.of(INTENT_SUBMITTED, DECISION, EXECUTION_STARTED);

    /** The steps of a call an entry of this type records, in order: three for {@link #CALL_GRANTED}, else the type itself. */
    public List<AuditEventType> steps() {
        return this == CALL_GRANTED ? GRANTED_STEPS : List.of(this);
    }
}
