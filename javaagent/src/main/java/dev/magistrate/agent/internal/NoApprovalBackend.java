package dev.magistrate.agent.internal;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.VoteSink;

/** Used when no approval backend is configured: every call that needs a person is denied at once, not left to time out. */
final class NoApprovalBackend implements ApprovalBackend {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        throw new IllegalStateException("no approval backend is configured (set magistrate.approvals), so no one can approve it");
    }
}
