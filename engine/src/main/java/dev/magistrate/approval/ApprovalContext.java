package dev.magistrate.approval;

import java.time.Clock;

/**
 * What the engine lends a backend that authenticates people itself (a console with sign-in, chat callbacks):
 * the approver directory to check credentials against, the clock, and a way to audit attempts that never
 * became a vote. Given once, by {@link ApprovalBackend#attach}.
 */
public interface ApprovalContext {

    /** The approver directory in force now. */
    ApproverDirectory approvers();

    Clock clock();

    /**
     * Writes an {@code ACCESS} audit entry: {@code channel} such as {@code console} or {@code slack}; {@code subject} who it
     * claimed to be (never a secret); {@code intent} the intent it named, or null; {@code detail} what happened.
     * Throws when the audit trail cannot be written: then the attempt must be refused.
     */
    void recordAccess(String channel, String subject, boolean allowed, String intent, String detail);
}
