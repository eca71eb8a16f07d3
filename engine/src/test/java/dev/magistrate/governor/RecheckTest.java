package dev.magistrate.governor;

import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, recheck at execution time: an approval can take an hour; the policy or the approver directory can change
 * while the call waits, and the call runs only if it is still allowed on the terms that were approved.
 */
class RecheckTest {

    @TempDir
    Path dir;
    GovernorHarness h;
    final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        callers.shutdownNow();
        if (h != null) h.close();
    }

    static Decision approve(Tier tier, int approvals, List<String> roles, boolean mfa, String version) {
        return new Decision(Effect.APPROVE, tier, List.of("rule-" + tier), approvals, roles, mfa, Duration.ofSeconds(20), Duration.ofMinutes(5),
                Map.of(), version);
    }

    private Future<Execution> admitInBackground(Intent intent) {
        Future<Execution> f = callers.submit(() -> h.governor.admit(intent));
        h.backend.awaitRequest(intent.id(), Duration.ofSeconds(5));
        return f;
    }

    private DeniedException refused(Future<Execution> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        DeniedException d = assertInstanceOf(DeniedException.class, e.getCause());
        assertEquals(DenialStage.RECHECK, d.stage(), d.getMessage());
        return d;
    }

    private void assertNeverRan(Intent intent) {
        List<AuditEventType> types = h.audit.types(intent.id());
        assertTrue(types.contains(AuditEventType.WARRANT_ISSUED), types.toString());
        assertFalse(types.contains(AuditEventType.EXECUTION_STARTED), "the body never ran: " + types);
        assertEquals("recheck", h.only(intent.id(), AuditEventType.INTENT_DENIED).fields().get("stage"));
    }

    @Test
    void aPolicyThatNowDeniesTheApprovedCallStopsItAndNamesBothVersions() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(approve(Tier.T2, 1, List.of(), false, "v1-approving")));
        Intent intent = GovernorHarness.intent("deploy").build();
        Future<Execution> f = admitInBackground(intent);
        h.governor.replacePolicy(new TestPolicy("v2-freeze", in -> new Decision(Effect.DENY, Tier.T3, List.of("Freeze"), 0, List.of(), false,
                Duration.ZERO, Duration.ZERO, Map.of("Freeze", "change freeze until Monday"), "v2-freeze")));
        assertTrue(h.backend.approve(intent.id(), "alice").accepted());
        DeniedException d = refused(f);
        assertTrue(d.getMessage().contains("change freeze until Monday") && d.getMessage().contains("approved under policy v1-approving")
                && d.getMessage().contains("refused under policy v2-freeze"), d.getMessage());
        assertNeverRan(intent);
    }

    @Test
    void aTierThatRoseWhileTheCallWaitedNeedsANewApproval() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(approve(Tier.T2, 1, List.of(), false, "v1")));
        Intent intent = GovernorHarness.intent("deploy").build();
        Future<Execution> f = admitInBackground(intent);
        h.governor.replacePolicy(TestPolicy.always(approve(Tier.T3, 2, List.of("cfo"), true, "v2")));
        h.backend.approve(intent.id(), "alice");
        DeniedException d = refused(f);
        assertTrue(d.getMessage().contains("now needs T3 (2 approvals, roles [cfo], MFA), and it was approved with T2 (1 approvals)"), d.getMessage());
        assertNeverRan(intent);
    }

    @Test
    void aPolicyThatNowAsksLessLetsTheApprovedCallRun() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(approve(Tier.T2, 1, List.of(), false, "v1")));
        Intent intent = GovernorHarness.intent("deploy").build();
        Future<Execution> f = admitInBackground(intent);
        h.governor.replacePolicy(TestPolicy.always(TestPolicy.allow()));
        h.backend.approve(intent.id(), "alice");
        Execution run = f.get(5, TimeUnit.SECONDS);
        run.completed("deployed");
        assertTrue(h.audit.types(intent.id()).contains(AuditEventType.EXECUTION_COMPLETED));
    }

    @Test
    void anApproverWhoLeftTheDirectoryNoLongerCounts() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(approve(Tier.T2, 2, List.of(), false, "v1")));
        Intent intent = GovernorHarness.intent("deploy").build();
        Future<Execution> f = admitInBackground(intent);
        h.backend.approve(intent.id(), "alice");
        h.governor.replaceApprovers(ApproverDirectory.parse(dir.resolve("approvers.yaml"),
                GovernorHarness.APPROVERS_YAML.replace("  - id: alice\n    name: Alice Martin\n    roles: [senior_dev]\n", "")
                        .replaceFirst("    totp_secret: [A-Z2-7]+\n", "")));
        h.backend.approve(intent.id(), "bob");
        DeniedException d = refused(f);
        assertTrue(d.getMessage().contains("approver 'alice' left the approver directory"), d.getMessage());
        assertNeverRan(intent);
    }

    @Test
    void anApproverWhoLostTheRoleThatCountedNoLongerCounts() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(approve(Tier.T2, 2, List.of("devops"), false, "v1")));
        Intent intent = GovernorHarness.intent("deploy").build();
        Future<Execution> f = admitInBackground(intent);
        h.backend.approve(intent.id(), "bob"); // bob is devops
        h.governor.replaceApprovers(ApproverDirectory.parse(dir.resolve("approvers.yaml"),
                GovernorHarness.APPROVERS_YAML.replace("    roles: [devops]\n    totp_secret", "    roles: [support]\n    totp_secret")));
        h.backend.approve(intent.id(), "alice");
        DeniedException d = refused(f);
        assertTrue(d.getMessage().contains("no approver who approved still holds the role 'devops'"), d.getMessage());
        assertNeverRan(intent);
    }
}
