package dev.magistrate.console;

import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.Approver;
import dev.magistrate.governor.LivePolicy;

import java.util.Optional;

/**
 * The console's one way to reload the policy, for its JSON API and its web page alike: only an approver who holds
 * {@link LivePolicy#ADMIN_ROLE} may, a refusal is audited ({@code ACCESS}), and the engine audits the reload itself
 * ({@code POLICY_LOADED} or {@code POLICY_REJECTED}, with the trigger built here).
 */
final class PolicyReloads {

    /** {@code status}: the HTTP status; {@code message}: one sentence for people; {@code outcome}: null when nothing was tried. */
    record Answer(int status, String message, LivePolicy.Outcome outcome) {
    }

    private PolicyReloads() {
    }

    /** {@code approverId} is authenticated already (a session or a personal token); {@code via} is {@code console} or {@code cli}. */
    static Answer reload(ApprovalContext context, String approverId, String via) {
        Optional<Approver> who = context.approvers().find(approverId);
        if (who.isEmpty() || !who.get().roles().contains(LivePolicy.ADMIN_ROLE)) {
            String why = approverId + " does not hold the role '" + LivePolicy.ADMIN_ROLE + "' that reloading the policy needs";
            context.recordAccess(ConsoleApprovalBackend.NAME, approverId, false, null, "policy reload refused: " + why);
            return new Answer(403, why, null);
        }
        Optional<LivePolicy.Outcome> done = context.reloadPolicy(via + ": " + approverId);
        if (done.isEmpty()) {
            return new Answer(409, "this engine has no policy files to reload (it started without a policy that loaded); restart it", null);
        }
        LivePolicy.Outcome o = done.get();
        if (!o.loaded()) {
            return new Answer(409, "the policy was not reloaded; policy " + shortHash(o.previousVersion()) + " keeps deciding. " + o.error(), o);
        }
        return new Answer(200, o.version().equals(o.previousVersion())
                ? "policy reloaded: unchanged, " + shortHash(o.version()) + " (" + o.rules() + " rules)"
                : "policy reloaded: " + shortHash(o.previousVersion()) + " -> " + shortHash(o.version()) + " (" + o.rules() + " rules)", o);
    }

    private static String shortHash(String v) {
        return v != null && v.length() > 12 ? v.substring(0, 12) : String.valueOf(v);
    }
}
