package dev.magistrate.audit;

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
    ACCESS
}
