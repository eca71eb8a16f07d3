package dev.magistrate.approval;

import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;

import java.time.Instant;
import java.util.List;

/** What a backend shows its approvers: the intent, why it needs approval, and what would satisfy it, by when. */
public record ApprovalRequest(Intent intent, Decision decision, int requiredApprovals, List<String> requiredRoles, boolean mfaRequired,
                              Instant deadline) {

    public ApprovalRequest {
        requiredRoles = List.copyOf(requiredRoles);
    }

    public String intentId() {
        return intent.id();
    }

    /** The intent this one follows up, such as the one whose approver asked for the information it brings; or null. */
    public String parentIntentId() {
        return intent.parentIntentId();
    }

    /** The same request for the call as an approver edited it. */
    public ApprovalRequest withIntent(Intent edited) {
        return new ApprovalRequest(edited, decision, requiredApprovals, requiredRoles, mfaRequired, deadline);
    }
}
