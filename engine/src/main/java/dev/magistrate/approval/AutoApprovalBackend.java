package dev.magistrate.approval;

import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.Tier;

import java.util.Map;
import java.util.Set;

/**
 * Approves everything it is asked about, for T0 and local development. Whenever it approves above
 * T0 it logs a warning, every time, since in production that would mean no human looked. The engine
 * still refuses its approvals where MFA is required: TOTP codes cannot be automated.
 */
public final class AutoApprovalBackend implements ApprovalBackend {

    public static final String NAME = "auto";

    /** Votes come from code in this process; there is no one to authenticate. */
    @Override
    public boolean requiresApproverCredentials() {
        return false;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean automatic() {
        return true;
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        Tier tier = request.decision().tier();
        if (tier.compareTo(Tier.T0) > 0) {
            MagistrateLog.warn(AutoApprovalBackend.class, "AUTO-APPROVING " + tier + " intent " + request.intentId() + " (action '"
                    + request.intent().action() + "', agent '" + request.intent().agent() + "', rules " + request.decision().matchedRules()
                    + ") WITHOUT A HUMAN: the 'auto' approval backend is meant for T0 and local development only", null);
        }
        VoteResult r = votes.approveAutomatically("auto-approved by the '" + NAME + "' backend");
        if (!r.accepted()) {
            MagistrateLog.warn(AutoApprovalBackend.class, "auto approval of intent " + request.intentId() + " refused by the engine: "
                    + r.rejection(), null);
        }
    }

    public static final class Provider implements ApprovalBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ApprovalBackend create(Map<String, String> settings) {
            ApprovalBackendProvider.requireKnownSettings(NAME, settings, Set.of());
            return new AutoApprovalBackend();
        }
    }
}
