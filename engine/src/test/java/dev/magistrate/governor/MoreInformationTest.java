package dev.magistrate.governor;

import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.intent.Intent;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.magistrate.audit.AuditEventType.APPROVAL_REQUESTED;
import static dev.magistrate.audit.AuditEventType.DECISION;
import static dev.magistrate.audit.AuditEventType.INFORMATION_REQUESTED;
import static dev.magistrate.audit.AuditEventType.INTENT_SUBMITTED;
import static dev.magistrate.audit.AuditEventType.VOTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** "More Info": the call ends without running, as needs_information, and the question reaches the agent; its answer links back. */
class MoreInformationTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    GovernorHarness h;
    final ExecutorService callers = Executors.newCachedThreadPool();
    MagistrateLog.Sink previousLog;

    @AfterEach
    void tearDown() {
        callers.shutdownNow();
        if (h != null) h.close();
        if (previousLog != null) MagistrateLog.routeTo(previousLog);
    }

    private static Intent scale(int instances, String justification) {
        return GovernorHarness.intent("scale_service").arg("service", "web").arg("instances", instances).justification(justification).build();
    }

    private Future<Execution> admitInBackground(Intent intent) {
        Future<Execution> f = callers.submit(() -> h.governor.admit(intent));
        h.backend.awaitRequest(intent.id(), WAIT);
        return f;
    }

    @Test
    void aQuestionEndsTheCallAsNeedsInformationAndTheAnswerLinksToIt() throws Exception {
        // T3 with MFA: asking authorises nothing, so it needs no TOTP code.
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T3, 2, List.of(), true, Duration.ofSeconds(30))));
        Intent first = scale(200, "CPU is high");
        Future<Execution> f = admitInBackground(first);

        assertEquals("a more_info vote needs the question to ask the agent (as its comment)",
                h.backend.vote(first.id(), Vote.askForMoreInformation("alice", "  ")).rejection());
        VoteResult asked = h.backend.vote(first.id(), Vote.askForMoreInformation("alice", "Why 200 and not 25? What does the CPU graph show"));
        assertTrue(asked.accepted(), String.valueOf(asked));
        assertEquals("needs_information", asked.state());

        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        NeedsInformationException q = assertInstanceOf(NeedsInformationException.class, e.getCause());
        assertEquals("The approver alice asked for more information before deciding: Why 200 and not 25? What does the CPU graph show."
                + " Answer it by calling scale_service again with the answer in its justification. [intent " + first.id() + "]", q.getMessage());
        assertEquals("Why 200 and not 25? What does the CPU graph show", q.question());
        assertEquals("alice", q.askedBy());
        assertInstanceOf(DeniedException.class, q, "code that catches denials does not run the call either");

        assertEquals(List.of(INTENT_SUBMITTED, DECISION, APPROVAL_REQUESTED, VOTE, VOTE, INFORMATION_REQUESTED), h.audit.types(first.id()),
                "its own final state, audited once: no INTENT_DENIED, no warrant");
        assertEquals("Why 200 and not 25? What does the CPU graph show", h.only(first.id(), INFORMATION_REQUESTED).fields().get("question"));
        VoteResult late = h.backend.approve(first.id(), "bob", h.totp(GovernorHarness.BOB_SECRET));
        assertEquals("late vote: the intent is already needs_information", late.rejection());
        assertEquals(1, h.count(first.id(), INFORMATION_REQUESTED));

        Intent other = GovernorHarness.intent("restart_service").arg("service", "web").build();
        callers.submit(() -> h.governor.authorize(other));
        assertNull(h.backend.awaitRequest(other.id(), WAIT).intent().parentIntentId(), "another action is not the answer");

        Intent answer = scale(200, "CPU at 95% for 20 minutes; 25 instances saturate in 3 minutes (graph: grafana/d/cpu)");
        callers.submit(() -> h.governor.authorize(answer));
        assertEquals(first.id(), h.backend.awaitRequest(answer.id(), WAIT).intent().parentIntentId(), "approvers see both side by side");
        assertEquals(first.id(), h.only(answer.id(), INTENT_SUBMITTED).fields().get("parent_intent_id"));

        Intent third = scale(200, "again");
        callers.submit(() -> h.governor.authorize(third));
        assertNull(h.backend.awaitRequest(third.id(), WAIT).intent().parentIntentId(), "a question links one answer");
    }

    @Test
    void anAnswerAfterAnHourIsANewCall() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(30))));
        Intent first = scale(30, "load");
        Future<Execution> f = admitInBackground(first);
        h.backend.vote(first.id(), Vote.askForMoreInformation("alice", "Which load?"));
        assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        h.clock.advance(Duration.ofMinutes(61));
        Intent late = scale(30, "p99 load");
        callers.submit(() -> h.governor.authorize(late));
        assertNull(h.backend.awaitRequest(late.id(), WAIT).intent().parentIntentId());
    }

    @Test
    void aQuestionCarriesNoEditsAndAnIntentWithAParentKeepsIt() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(30))));
        Intent first = scale(30, "load");
        Future<Execution> f = admitInBackground(first);
        assertEquals("a more_info vote asks a question; it carries no edits or limits", h.backend.vote(first.id(),
                Vote.askForMoreInformation("alice", "Which?").withEdits(java.util.Map.of("instances", 3))).rejection());
        h.backend.vote(first.id(), Vote.askForMoreInformation("alice", "Which load?"));
        assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        Intent nested = GovernorHarness.intent("scale_service").arg("service", "web").arg("instances", 30).parentIntentId("outer-call").build();
        callers.submit(() -> h.governor.authorize(nested));
        assertEquals("outer-call", h.backend.awaitRequest(nested.id(), WAIT).intent().parentIntentId());
    }

    @Test
    void aCallWaitingForApprovalSaysSoOnceAndThenAtIntervalsUntilItEnds() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        previousLog = MagistrateLog.current();
        MagistrateLog.routeTo((source, level, message, error) -> {
            if (message.contains("waits for approval")) lines.add(level + " " + message);
        });
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T2, 2, List.of("devops"), false, Duration.ofSeconds(30))),
                null, null, b -> b.waitingLogInterval(Duration.ofSeconds(1)));
        Intent intent = scale(30, "load");
        Future<Execution> f = admitInBackground(intent);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines.size() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(lines.get(0).matches("INFO intent " + intent.id() + " \\(scale_service, T2\\) waits for approval: 2 approvals \\(roles: devops\\),"
                + " 5 approvers can vote \\(alice, bob, carol, dave, erin\\), through backend 'programmatic', deadline \\S+Z"), lines.get(0));
        assertTrue(lines.get(1).startsWith("INFO intent " + intent.id() + " (scale_service, T2) still waits for approval: 0 of 2 approvals"), lines.get(1));

        h.backend.approve(intent.id(), "bob");
        h.backend.approve(intent.id(), "alice");
        f.get(5, TimeUnit.SECONDS).completed("ok");
        int after = lines.size();
        Thread.sleep(1500);
        assertEquals(after, lines.size(), "nothing once no one waits");
        assertFalse(lines.stream().anyMatch(l -> l.contains("ops-agent")), "the requesting agent is not among those who can vote");
    }
}
