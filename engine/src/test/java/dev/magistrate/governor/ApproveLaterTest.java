package dev.magistrate.governor;

import dev.magistrate.audit.AuditEventType;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Tier;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, approve later: a call that needs people returns at once as pending, holds no thread, and the same call made
 * again after approval runs exactly once with the warrant issued meanwhile; a denial is what the call made again reports.
 */
class ApproveLaterTest {

    @TempDir
    Path dir;
    GovernorHarness h;

    @AfterEach
    void close() {
        if (h != null) h.close();
    }

    private void open() {
        h = new GovernorHarness(dir, new TestPolicy("test-v1", in -> switch (in.action()) {
            case "read" -> TestPolicy.allow();
            case "drop" -> TestPolicy.deny("no-drop", "dropping tables is never allowed");
            default -> TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofMinutes(15));
        }));
    }

    private static Intent scale(int instances) {
        return GovernorHarness.intent("scale").arg("service", "web").arg("instances", instances).build();
    }

    private ApprovalPendingException pending(Intent i) {
        return assertThrows(ApprovalPendingException.class, () -> h.governor.admitOrDefer(i));
    }

    @Test
    void thePendingCallRunsOnceWhenMadeAgainAfterApproval() {
        open();
        Intent first = scale(50);
        ApprovalPendingException p = pending(first);
        assertEquals(first.id(), p.intentId());
        assertTrue(p.getMessage().startsWith("PENDING: 'scale' waits for approval (T1, 1 approval, deadline "), p.getMessage());
        assertTrue(p.getMessage().endsWith("[intent " + first.id() + "]"), p.getMessage());
        assertInstanceOf(DeniedException.class, p, "code that catches denials does not run it either");
        assertEquals(ApprovalStatus.State.PENDING, h.governor.status(first.id()).state());
        CompletableFuture<ApprovalStatus> decided = h.governor.whenDecided(first.id());
        assertFalse(decided.isDone());

        Intent again = scale(50);
        assertEquals(first.id(), pending(again).intentId(), "made again before anyone decided: the same request, not a second one");
        assertEquals(0, h.audit.events(again.id()).size(), "no new intent");

        assertTrue(h.backend.approve(first.id(), "alice").accepted());
        assertEquals(ApprovalStatus.State.APPROVED, decided.join().state(), "the listener hears the decision");
        assertEquals(ApprovalStatus.State.APPROVED, h.governor.status(first.id()).state());

        Intent third = scale(50);
        Execution run = h.governor.admitOrDefer(third);
        assertEquals(first.id(), run.warrant().intentId(), "the call made again runs the approved intent");
        run.completed("web scaled to 50");
        assertEquals(ApprovalStatus.State.RAN, h.governor.status(first.id()).state());
        assertEquals(1, h.count(first.id(), AuditEventType.WARRANT_ISSUED));
        assertEquals(1, h.count(first.id(), AuditEventType.EXECUTION_STARTED));
        assertEquals(1, h.count(first.id(), AuditEventType.EXECUTION_COMPLETED));

        Intent fourth = scale(50);
        assertEquals(fourth.id(), pending(fourth).intentId(), "once: the next identical call is a new request");
    }

    @Test
    void aDenialIsWhatTheCallMadeAgainReports() {
        open();
        Intent first = scale(200);
        pending(first);
        h.backend.deny(first.id(), "alice", "200 is a DDoS bill");
        DeniedException d = assertThrows(DeniedException.class, () -> h.governor.admitOrDefer(scale(200)));
        assertFalse(d instanceof ApprovalPendingException, d.getMessage());
        assertEquals(first.id(), d.intentId());
        assertTrue(d.getMessage().contains("200 is a DDoS bill"), d.getMessage());
        ApprovalStatus s = h.governor.status(first.id());
        assertEquals(ApprovalStatus.State.DENIED, s.state());
        assertTrue(s.detail().contains("200 is a DDoS bill"), s.detail());
        assertEquals(0, h.count(first.id(), AuditEventType.EXECUTION_STARTED));
    }

    @Test
    void otherArgumentsAreAnotherCall() {
        open();
        Intent fifty = scale(50);
        pending(fifty);
        h.backend.approve(fifty.id(), "alice");
        Intent more = scale(60);
        assertEquals(more.id(), pending(more).intentId(), "an approval of 50 does not run 60");
        assertEquals(0, h.count(fifty.id(), AuditEventType.EXECUTION_STARTED));
    }

    @Test
    void callsThePolicyDecidesOutrightAreNotDeferred() {
        open();
        Execution read = h.governor.admitOrDefer(GovernorHarness.intent("read").build());
        read.completed("ok");
        DeniedException drop = assertThrows(DeniedException.class, () -> h.governor.admitOrDefer(GovernorHarness.intent("drop").build()));
        assertEquals(DenialStage.POLICY, drop.stage());
        assertEquals(ApprovalStatus.State.UNKNOWN, h.governor.status(drop.intentId()).state());
    }

    @Test
    void anExpiredWarrantIsWhatTheCallMadeTooLateReports() {
        open();
        Intent first = scale(50);
        pending(first);
        h.backend.approve(first.id(), "alice");
        h.clock.advance(Duration.ofMinutes(30)); // the warrant lives 5 minutes (TestPolicy)
        DeniedException d = assertThrows(DeniedException.class, () -> h.governor.admitOrDefer(scale(50)));
        assertEquals(DenialStage.VERIFICATION, d.stage(), d.getMessage());
        assertEquals(ApprovalStatus.State.DENIED, h.governor.status(first.id()).state());
        assertEquals(0, h.count(first.id(), AuditEventType.EXECUTION_STARTED));
    }

    @Test
    void twoThreadsMakingTheApprovedCallAgainRunItOnce() throws Exception {
        open();
        Intent first = scale(50);
        pending(first);
        h.backend.approve(first.id(), "alice");
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(threads.submit(() -> {
                    go.await();
                    try {
                        Execution run = h.governor.admitOrDefer(scale(50));
                        run.completed("ok");
                        return "ran " + run.warrant().intentId();
                    } catch (ApprovalPendingException p) {
                        return "pending " + p.intentId();
                    }
                }));
            }
            go.countDown();
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : results) outcomes.add(f.get(10, TimeUnit.SECONDS));
            assertEquals(1, outcomes.stream().filter(o -> o.equals("ran " + first.id())).count(), outcomes::toString);
            assertEquals(7, outcomes.stream().filter(o -> o.startsWith("pending ")).count(), outcomes::toString);
            assertTrue(outcomes.stream().filter(o -> o.startsWith("pending ")).noneMatch(o -> o.endsWith(first.id())), outcomes::toString);
            assertEquals(1, h.count(first.id(), AuditEventType.EXECUTION_STARTED));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aQuestionIsWhatTheCallMadeAgainReports() {
        open();
        Intent first = scale(50);
        pending(first);
        h.backend.vote(first.id(), new dev.magistrate.approval.Vote("alice", dev.magistrate.approval.Verdict.MORE_INFO, "Why 50?", null,
                List.of(), Map.of(), null));
        NeedsInformationException q = assertThrows(NeedsInformationException.class, () -> h.governor.admitOrDefer(scale(50)));
        assertEquals("Why 50?", q.question());
        ApprovalStatus s = h.governor.status(first.id());
        assertEquals(ApprovalStatus.State.NEEDS_INFORMATION, s.state());
        assertNotEquals(null, s.detail());
    }
}
