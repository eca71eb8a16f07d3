package dev.magistrate.approval;

import dev.magistrate.policy.Tier;

import java.util.Map;

/**
 * Approves everything it is asked about, for T0 and local development. Whenever it approves above
 * T0 it logs a warning, every time, since in production that would mean no human looked. The engine
 * still refuses its approvals where MFA is required: TOTP codes cannot be automated.
 */
public final class AutoApprovalBackend implements ApprovalBackend {

    public static final String NAME = "auto";
    private static final System.Logger LOG = System.getLogger(AutoApprovalBackend.class.getName());

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
            LOG.log(System.Logger.Level.WARNING, "AUTO-APPROVING {0} intent {1} (action ''{2}'', agent ''{3}'', rules {4}) WITHOUT A HUMAN:"
                            + " the ''auto'' approval backend is meant for T0 and local development only",
                    tier, request.intentId(), request.intent().action(), request.intent().agent(), request.decision().matchedRules());
        }
        VoteResult r = votes.approveAutomatically("auto-approved by the '" + NAME + "' backend");
        if (!r.accepted()) {
            LOG.log(System.Logger.Level.WARNING, "auto approval of intent {0} refused by the engine: {1}", request.intentId(), r.rejection());
        }
    }

    public static final class Provider implements ApprovalBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ApprovalBackend create(Map<String, String> settings) {
            if (!settings.isEmpty()) throw new IllegalArgumentException("the auto backend takes no settings, got " + settings.keySet());
            return new AutoApprovalBackend();
        }
    }
}
