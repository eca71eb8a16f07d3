package dev.magistrate.approval;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

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

    /**
     * The directory of the audit log on disk, for a backend that shows people how intents ended (the console's
     * history reads it with {@code AuditLogReader}, read-only) and how to prove an entry ({@code magistrate audit
     * prove DIR --entry I}); empty when the audit trail is not a log on disk.
     */
    default Optional<Path> auditDirectory() {
        return Optional.empty();
    }

    /**
     * The requests that waited for approval when the process last stopped, abandoned on this start: they ended (no vote
     * can bring them back, their caller is gone), and a backend that shows history should show them as abandoned.
     */
    default List<ApprovalRequest> abandonedAtStart() {
        return List.of();
    }

    /**
     * Reloads the policy from its files ({@link dev.magistrate.governor.LivePolicy#reload}); {@code trigger} is who asked,
     * as the audit records it ({@code console: riya}). The caller has checked that this person holds
     * {@link dev.magistrate.governor.LivePolicy#ADMIN_ROLE}. Empty when this engine has no policy files to reload.
     */
    default Optional<dev.magistrate.governor.LivePolicy.Outcome> reloadPolicy(String trigger) {
        return Optional.empty();
    }

    /** The engine's break-glass grants, for a backend that lets people open and review them (the console). */
    default Optional<dev.magistrate.governor.BreakGlass> breakGlass() {
        return Optional.empty();
    }
}
