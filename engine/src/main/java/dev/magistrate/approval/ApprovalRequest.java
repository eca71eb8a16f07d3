package dev.magistrate.approval;

import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;

import java.time.Instant;
import java.util.Collection;
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

    /** A request for this decision: the approvals and MFA it needs ({@link #requiredApprovals(Decision)}, {@link #mfaRequired(Decision)}). */
    public static ApprovalRequest of(Intent intent, Decision d, Instant deadline) {
        return new ApprovalRequest(intent, d, requiredApprovals(d), d.requiredRoles(), mfaRequired(d), deadline);
    }

    /** How many approvals a decision needs: the policy's number, else its tier's default, and never none. */
    public static int requiredApprovals(Decision d) {
        return d.requiredApprovals() > 0 ? d.requiredApprovals() : Math.max(1, d.tier().defaultApprovals());
    }

    /** Whether approving needs a TOTP code: the policy says so, or the tier implies it. */
    public static boolean mfaRequired(Decision d) {
        return d.mfaRequired() || d.tier().impliesMfa();
    }

    /** Whether these distinct approvers satisfy the request: enough of them, and every required role held by one of them. */
    public boolean satisfiedBy(Collection<Approver> approvers) {
        if (approvers.size() < requiredApprovals) return false;
        for (String role : requiredRoles) {
            if (approvers.stream().noneMatch(a -> a.roles().contains(role))) return false;
        }
        return true;
    }

    /** The same request for the call as an approver edited it. */
    public ApprovalRequest withIntent(Intent edited) {
        return new ApprovalRequest(edited, decision, requiredApprovals, requiredRoles, mfaRequired, deadline);
    }
}
