package dev.magistrate.governor;

import dev.magistrate.audit.AuditPayload;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditSink;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Constraint;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.magistrate.audit.AuditEventType.APPROVAL_REQUESTED;
import static dev.magistrate.audit.AuditEventType.DECISION;
import static dev.magistrate.audit.AuditEventType.EXECUTION_COMPLETED;
import static dev.magistrate.audit.AuditEventType.EXECUTION_STARTED;
import static dev.magistrate.audit.AuditEventType.INTENT_DENIED;
import static dev.magistrate.audit.AuditEventType.INTENT_SUBMITTED;
import static dev.magistrate.audit.AuditEventType.INTENT_TIMED_OUT;
import static dev.magistrate.audit.AuditEventType.VOTE;
import static dev.magistrate.audit.AuditEventType.WARRANT_ISSUED;
import static dev.magistrate.audit.AuditEventType.WARRANT_VERIFIED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every tier end to end through the programmatic backend, with real threads, keys, ledger and signatures. */
class GovernorApprovalTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    GovernorHarness h;
    final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        callers.shutdownNow();
        if (h != null) h.close();
    }

    private GovernorHarness harness(Decision d) {
        h = new GovernorHarness(dir, TestPolicy.always(d));
        return h;
    }

    /** Runs {@code authorize} on its own thread, as an agent would, and returns once the approval request is out. */
    private Future<Warrant> authorizeInBackground(Intent intent) {
        Future<Warrant> f = callers.submit(() -> h.governor.authorize(intent));
        h.backend.awaitRequest(intent.id(), WAIT);
        return f;
    }

    private static DeniedException denial(Future<Warrant> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DeniedException, String.valueOf(e.getCause()));
        return (DeniedException) e.getCause();
    }

    @Test
    void t0IsGrantedWithoutAHumanAndTheCallIsRecordedEndToEnd() {
        harness(TestPolicy.allow());
        Intent intent = GovernorHarness.intent("read_metrics").arg("service", "web").build();
        Warrant w = h.governor.authorize(intent);
        assertEquals(Tier.T0, w.tier());
        assertEquals(SignatureAlgorithm.HMAC_SHA256, w.algorithm());
        assertTrue(w.approvedBy().isEmpty());
        assertTrue(h.backend.pending().isEmpty(), "no human was asked");
        Execution run = h.governor.verify(w, "read_metrics", Map.of("service", "web"));
        run.completed(Map.of("p99_ms", 41));
        assertEquals(List.of(INTENT_SUBMITTED, DECISION, WARRANT_ISSUED, WARRANT_VERIFIED, EXECUTION_STARTED, EXECUTION_COMPLETED),
                h.audit.types(intent.id()));
        AuditEvent submitted = h.only(intent.id(), INTENT_SUBMITTED);
        assertEquals("{\"service\":\"web\"}", submitted.fields().get("args"));
        assertEquals(intent.argsDigest(), submitted.fields().get("args_digest"));
        assertEquals(w.toJson(), h.only(intent.id(), WARRANT_ISSUED).fields().get("warrant"));
        assertThrows(IllegalStateException.class, () -> run.completed("again"), "an execution is confirmed once");
    }

    @Test
    void t1BlocksTheCallerUntilOneApproverVotes() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("restart_service").arg("service", "web").build();
        Future<Warrant> f = authorizeInBackground(intent);
        Thread.sleep(50);
        assertFalse(f.isDone(), "the caller waits for a human");
        assertEquals(1, h.governor.pendingApprovals());
        VoteResult r = h.backend.approve(intent.id(), "carol");
        assertTrue(r.accepted());
        assertEquals("granted", r.state());
        Warrant w = f.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("carol"), w.approvedBy());
        assertEquals(SignatureAlgorithm.ED25519, w.algorithm(), "human-approved warrants are Ed25519");
        assertEquals(List.of(INTENT_SUBMITTED, DECISION, APPROVAL_REQUESTED, VOTE, WARRANT_ISSUED), h.audit.types(intent.id()));
        assertEquals(0, h.governor.pendingApprovals());
        assertTrue(h.backend.pending().isEmpty(), "the backend withdrew the request");
    }

    @Test
    void t2WaitsForDistinctApproversCoveringEveryRequiredRole() throws Exception {
        harness(TestPolicy.approve(Tier.T2, 2, List.of("senior_dev", "devops"), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("deploy").arg("environment", "production").build();
        Future<Warrant> f = authorizeInBackground(intent);
        assertTrue(h.backend.approve(intent.id(), "alice").accepted());
        VoteResult twice = h.backend.approve(intent.id(), "alice");
        assertFalse(twice.accepted());
        assertTrue(twice.rejection().contains("distinct"), twice.rejection());
        assertEquals("pending", h.backend.approve(intent.id(), "carol").state(), "two approvals, but nobody from devops yet");
        assertFalse(f.isDone());
        assertEquals("granted", h.backend.approve(intent.id(), "bob").state());
        assertEquals(List.of("alice", "carol", "bob"), f.get(5, TimeUnit.SECONDS).approvedBy());
        AuditEvent rejected = h.audit.events(intent.id()).stream().filter(e -> e.type() == VOTE && Boolean.FALSE.equals(e.fields().get("accepted")))
                .findFirst().orElseThrow();
        assertEquals("alice", rejected.fields().get("approver"));
        assertEquals(List.of("senior_dev"), rejected.fields().get("roles"));
    }

    @Test
    void t3RefusesMissingWrongAndReusedTotpCodesAndAcceptsRightOnes() throws Exception {
        harness(TestPolicy.approve(Tier.T3, 2, List.of("engineering_director", "cfo"), true, Duration.ofSeconds(10)));
        Intent first = GovernorHarness.intent("provision_cluster").estimatedCost(12_000).build();
        Future<Warrant> f1 = authorizeInBackground(first);
        VoteResult missing = h.backend.approve(first.id(), "erin");
        assertTrue(missing.rejection().contains("missing"), missing.rejection());
        String right = h.totp(GovernorHarness.ERIN_SECRET);
        String wrong = right.equals("123456") ? "654321" : "123456";
        assertEquals("wrong TOTP code", h.backend.approve(first.id(), "erin", wrong).rejection());
        assertTrue(h.backend.approve(first.id(), "erin", right).accepted());
        assertFalse(f1.isDone());
        assertTrue(h.backend.approve(first.id(), "dave", h.totp(GovernorHarness.DAVE_SECRET)).accepted());
        assertEquals(List.of("erin", "dave"), f1.get(5, TimeUnit.SECONDS).approvedBy());

        Intent second = GovernorHarness.intent("provision_cluster").estimatedCost(15_000).build();
        Future<Warrant> f2 = authorizeInBackground(second);
        VoteResult reused = h.backend.approve(second.id(), "erin", right);
        assertFalse(reused.accepted());
        assertTrue(reused.rejection().contains("already used"), reused.rejection());
        h.nextTotpStep();
        assertTrue(h.backend.approve(second.id(), "erin", h.totp(GovernorHarness.ERIN_SECRET)).accepted());
        assertTrue(h.backend.approve(second.id(), "dave", h.totp(GovernorHarness.DAVE_SECRET)).accepted());
        f2.get(5, TimeUnit.SECONDS);
        for (AuditEvent e : h.audit.events()) {
            assertFalse(e.fields().containsValue(right), "a TOTP code never reaches the audit trail: " + e);
        }
        VoteResult noSecret = h.backend.approve(second.id(), "carol", "123456");
        assertFalse(noSecret.accepted(), "late, and carol has no TOTP secret either");
    }

    @Test
    void timeoutDeniesAndLateVotesAreIgnored() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofMillis(200)));
        Intent intent = GovernorHarness.intent("rotate_credentials").build();
        long start = System.nanoTime();
        Future<Warrant> f = authorizeInBackground(intent);
        DeniedException e = denial(f);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(190));
        assertEquals("timeout", e.deniedBy());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        VoteResult late = h.backend.approve(intent.id(), "alice");
        assertFalse(late.accepted());
        assertEquals("timed_out", late.state());
        assertEquals(1, h.count(intent.id(), INTENT_TIMED_OUT));
        assertEquals(0, h.count(intent.id(), WARRANT_ISSUED));
        assertEquals(0, h.count(intent.id(), INTENT_DENIED));
        assertTrue((Long) h.only(intent.id(), INTENT_TIMED_OUT).fields().get("waited_ms") >= 190);
    }

    @Test
    void aBackendThatThrowsDenies() {
        ApprovalBackend broken = new ApprovalBackend() {
            @Override
            public String name() {
                return "pager";
            }

            @Override
            public void request(ApprovalRequest request, VoteSink votes) {
                throw new IllegalStateException("pager service returned 503");
            }
        };
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10))), broken, null);
        Intent intent = GovernorHarness.intent("restart_service").build();
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(intent));
        assertEquals(DenialStage.BACKEND, e.stage());
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        assertEquals("backend", h.only(intent.id(), INTENT_DENIED).fields().get("stage"));
        assertEquals(0, h.governor.pendingApprovals());
    }

    @Test
    void anUnreachableBackendDeniesWhatWaitsAndWhatComes() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent waiting = GovernorHarness.intent("restart_service").build();
        Future<Warrant> f = authorizeInBackground(waiting);
        h.backend.disconnect("approver network unreachable");
        DeniedException e = denial(f);
        assertEquals(DenialStage.BACKEND, e.stage());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        DeniedException next = assertThrows(DeniedException.class, () -> h.governor.authorize(GovernorHarness.intent("restart_service").build()));
        assertEquals(DenialStage.BACKEND, next.stage());
    }

    @Test
    void theRequestingAgentCannotApproveItsOwnIntent() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of("devops"), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("scale_service").arg("instances", 12).build();
        Future<Warrant> f = authorizeInBackground(intent);
        VoteResult self = h.backend.approve(intent.id(), "ops-agent");
        assertFalse(self.accepted());
        assertTrue(self.rejection().contains("own intent"), self.rejection());
        VoteResult stranger = h.backend.approve(intent.id(), "mallory");
        assertTrue(stranger.rejection().contains("unknown approver"), stranger.rejection());
        assertFalse(f.isDone());
        h.backend.approve(intent.id(), "bob");
        assertEquals(List.of("bob"), f.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void concurrentApproveAndDenyEndInExactlyOneFinalStateRecordedOnce() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        ExecutorService voters = Executors.newFixedThreadPool(3);
        int granted = 0;
        int denied = 0;
        try {
            for (int round = 0; round < 100; round++) {
                Intent intent = GovernorHarness.intent("restart_service").arg("round", round).build();
                CompletableFuture<Warrant> outcome = h.governor.authorizeAsync(intent);
                h.backend.awaitRequest(intent.id(), WAIT);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<VoteResult>> votes = new ArrayList<>();
                votes.add(voters.submit(() -> { go.await(); return h.backend.approve(intent.id(), "alice"); }));
                votes.add(voters.submit(() -> { go.await(); return h.backend.deny(intent.id(), "bob", "not during the freeze"); }));
                votes.add(voters.submit(() -> { go.await(); return h.backend.approve(intent.id(), "carol"); }));
                go.countDown();
                int acceptedVotes = 0;
                for (Future<VoteResult> v : votes) if (v.get(5, TimeUnit.SECONDS).accepted()) acceptedVotes++;
                assertEquals(1, acceptedVotes, "only the first vote counts; the others arrive after the end");
                boolean isGranted;
                try {
                    outcome.get(5, TimeUnit.SECONDS);
                    isGranted = true;
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof DeniedException);
                    isGranted = false;
                }
                assertEquals(isGranted ? 1 : 0, h.count(intent.id(), WARRANT_ISSUED), "round " + round);
                assertEquals(isGranted ? 0 : 1, h.count(intent.id(), INTENT_DENIED), "round " + round);
                assertEquals(3, h.count(intent.id(), VOTE));
                if (isGranted) granted++;
                else denied++;
            }
        } finally {
            voters.shutdownNow();
        }
        assertEquals(100, granted + denied);
    }

    @Test
    void anApproversLimitThatTheIntentExceedsDeniesAndSaysWhatWouldBeAllowed() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent tooMany = GovernorHarness.intent("scale_service").arg("service", "web").arg("instances", 40).build();
        Future<Warrant> f = authorizeInBackground(tooMany);
        h.backend.approveWithConstraints(tooMany.id(), "bob", "budget allows 25", List.of(Constraint.max("instances", 25)));
        DeniedException e = denial(f);
        assertEquals("bob", e.deniedBy());
        assertEquals("instances <= 25", e.allowedInstead());
        assertTrue(e.getMessage().contains("'instances' is 40, more than 25 (budget allows 25)")
                && e.getMessage().contains("Would be allowed instead: instances <= 25"), e.getMessage());

        Intent within = GovernorHarness.intent("scale_service").arg("service", "web").arg("instances", 20).build();
        Future<Warrant> g = authorizeInBackground(within);
        h.backend.approveWithConstraints(within.id(), "bob", null, List.of(Constraint.max("instances", 25)));
        Warrant w = g.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(Constraint.max("instances", 25)), w.constraints());
        DeniedException over = assertThrows(DeniedException.class,
                () -> h.governor.verify(w, "scale_service", Map.of("service", "web", "instances", 30)));
        assertEquals("constraint_violated", over.deniedBy());
        h.governor.verify(w, "scale_service", Map.of("service", "web", "instances", 20)).completed("ok");
    }

    @Test
    void aDenyRuleEndsTheIntentWithoutAskingAnyone() {
        harness(TestPolicy.deny("No drops", "dropping tables is never done by an agent"));
        Intent intent = GovernorHarness.intent("db_query").arg("sql", "DROP TABLE audit_log").build();
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(intent));
        assertEquals(DenialStage.POLICY, e.stage());
        assertEquals("No drops", e.deniedBy());
        assertTrue(e.getMessage().contains("rule 'No drops'") && e.getMessage().contains("never done by an agent"), e.getMessage());
        assertTrue(h.backend.pending().isEmpty());
        assertEquals(List.of(INTENT_SUBMITTED, DECISION, INTENT_DENIED), h.audit.types(intent.id()));
    }

    @Test
    void anAuditTrailThatFailsDeniesTheIntent() {
        AtomicInteger appends = new AtomicInteger();
        AuditSink failsOnWarrant = event -> {
            if (event.type() == WARRANT_ISSUED) throw new IllegalStateException("disk full");
            return appends.getAndIncrement();
        };
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.allow()), null, failsOnWarrant);
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(GovernorHarness.intent("read_metrics").build()));
        assertEquals(DenialStage.AUDIT, e.stage());
        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
    }

    @Test
    void verificationFailuresReachTheCallerAndTheAuditTrail() {
        harness(TestPolicy.allow());
        Intent intent = GovernorHarness.intent("read_metrics").arg("service", "web").build();
        Warrant w = h.governor.authorize(intent);
        DeniedException wrongArgs = assertThrows(DeniedException.class, () -> h.governor.verify(w, "read_metrics", Map.of("service", "db")));
        assertEquals(DenialStage.VERIFICATION, wrongArgs.stage());
        assertEquals("args_mismatch", wrongArgs.deniedBy());
        h.governor.verify(w.toJson(), "read_metrics", Map.of("service", "web")).failed(new IllegalStateException("metrics store down"));
        DeniedException replay = assertThrows(DeniedException.class, () -> h.governor.verify(w, "read_metrics", Map.of("service", "web")));
        assertEquals("replayed", replay.deniedBy());
        DeniedException garbage = assertThrows(DeniedException.class, () -> h.governor.verify("{\"warrant_id\":1}", "read_metrics", Map.of()));
        assertEquals("malformed", garbage.deniedBy());
        assertEquals(2, h.count(intent.id(), AuditEventType.WARRANT_REJECTED));
        assertEquals(1, h.count("unknown", AuditEventType.WARRANT_REJECTED));
        assertEquals("java.lang.IllegalStateException", h.only(intent.id(), AuditEventType.EXECUTION_FAILED).fields().get("exception"));
    }

    @Test
    void aWarrantUsedBeforeARestartIsRefusedAfterIt() {
        harness(TestPolicy.allow());
        Intent intent = GovernorHarness.intent("read_metrics").arg("service", "web").build();
        String warrantFile = h.governor.authorize(intent).toJson();
        assertEquals(dev.magistrate.warrant.Warrant.timestamp(dev.magistrate.warrant.Warrant.fromJson(warrantFile).expiresAt()),
                h.only(intent.id(), WARRANT_ISSUED).fields().get("expires_at"));
        h.governor.verify(warrantFile, "read_metrics", Map.of("service", "web")).completed("ok");
        h.close();
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.allow())); // same state directory: same keys, same ledger file
        DeniedException replay = assertThrows(DeniedException.class, () -> h.governor.verify(warrantFile, "read_metrics", Map.of("service", "web")));
        assertEquals("replayed", replay.deniedBy());
        Intent next = GovernorHarness.intent("read_metrics").arg("service", "web").build();
        h.governor.verify(h.governor.authorize(next), "read_metrics", Map.of("service", "web")).completed("ok");
    }

    @Test
    void anInterruptedCallerAbandonsItsIntent() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("restart_service").build();
        Future<Warrant> f = authorizeInBackground(intent);
        f.cancel(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.count(intent.id(), INTENT_DENIED) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals("approval", h.only(intent.id(), INTENT_DENIED).fields().get("stage"));
        assertFalse(h.backend.approve(intent.id(), "alice").accepted());
    }

    @Test
    void policySwapsAreAtomicForConcurrentDeciders() throws Exception {
        TestPolicy v1 = new TestPolicy("v1", in -> TestPolicy.allow());
        TestPolicy v2 = new TestPolicy("v2", in -> TestPolicy.deny("Freeze", "change freeze"));
        harness(TestPolicy.allow());
        h.governor.replacePolicy(v1);
        Intent intent = GovernorHarness.intent("deploy").build();
        List<Future<int[]>> deciders = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            deciders.add(callers.submit(() -> {
                int[] seen = new int[2];
                for (int i = 0; i < 20_000; i++) {
                    Decision d = h.governor.decide(intent);
                    seen[d.effect() == dev.magistrate.policy.Effect.ALLOW ? 0 : 1]++;
                }
                return seen;
            }));
        }
        for (int i = 0; i < 2_000; i++) h.governor.replacePolicy(i % 2 == 0 ? v2 : v1);
        for (Future<int[]> f : deciders) {
            int[] seen = f.get(10, TimeUnit.SECONDS);
            assertEquals(20_000, seen[0] + seen[1]);
        }
        h.governor.replacePolicy(v2);
        assertEquals(dev.magistrate.policy.Effect.DENY, h.governor.decide(intent).effect());
    }

    @Test
    void aPolicyThatThrowsFailsClosed() {
        h = new GovernorHarness(dir, new TestPolicy("broken", in -> { throw new ArithmeticException("/ by zero"); }));
        Intent intent = GovernorHarness.intent("deploy").build();
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(intent));
        assertEquals(DenialStage.POLICY, e.stage());
        assertTrue(e.getMessage().contains("/ by zero"), e.getMessage());
    }

    @Test
    void aPendingIntentCannotBeSubmittedTwice() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("restart_service").build();
        Future<Warrant> f = authorizeInBackground(intent);
        DeniedException twice = assertThrows(DeniedException.class, () -> h.governor.authorize(intent));
        assertTrue(twice.getMessage().contains("already awaiting"), twice.getMessage());
        h.backend.approve(intent.id(), "alice");
        assertEquals(List.of("alice"), f.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void aSignedInCredentialCountsOnlyForThePersonItNames() throws Exception {
        harness(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(10)));
        Intent intent = GovernorHarness.intent("restart_service").build();
        Future<Warrant> f = authorizeInBackground(intent);
        h.backend.awaitRequest(intent.id(), Duration.ofSeconds(5));
        VoteResult asSomeoneElse = h.backend.vote(intent.id(),
                Vote.approve("alice").withCredential(new ApproverCredential.SignedIn("bob", "console sign-in (password, session)")));
        assertFalse(asSomeoneElse.accepted());
        assertEquals(VoteResult.Refusal.CREDENTIAL, asSomeoneElse.refusal());
        assertTrue(asSomeoneElse.rejection().contains("signed in as 'bob', not as 'alice'"), asSomeoneElse.rejection());
        VoteResult own = h.backend.vote(intent.id(),
                Vote.approve("alice").withCredential(new ApproverCredential.SignedIn("alice", "console sign-in (password, session)")));
        assertTrue(own.accepted(), own.toString());
        assertEquals(List.of("alice"), f.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void accessAttemptsAreAuditedUnderTheirOwnIntentId() {
        harness(TestPolicy.allow());
        h.governor.approvalContext().recordAccess("slack", "U024BE7LH", false, "i-claimed", "signature does not verify");
        AuditEvent e = h.only(AuditPayload.Access.ACCESS_INTENT_ID, AuditEventType.ACCESS);
        assertEquals(new AuditPayload.Access("slack", "U024BE7LH", false, "i-claimed", "signature does not verify"), e.payload());
    }
}
