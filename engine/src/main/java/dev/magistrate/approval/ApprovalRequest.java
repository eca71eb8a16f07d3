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
}
