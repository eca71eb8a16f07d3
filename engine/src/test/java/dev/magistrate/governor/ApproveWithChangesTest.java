package dev.magistrate.governor;

import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.RejectionReason;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.magistrate.audit.AuditEventType.ARGUMENTS_EDITED;
import static dev.magistrate.audit.AuditEventType.VOTE;
import static dev.magistrate.audit.AuditEventType.WARRANT_ISSUED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Approve with changes: an approver edits argument values, the policy decides the edit again, the warrant binds the edited call. */
class ApproveWithChangesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * scale_service: more than 300 instances is denied, 150 and more is T3, 20 and more T2, fewer T1; on the
     * database, T2 needs two approvals.
     */
    static final CompiledPolicy SCALING = new TestPolicy("scaling-v1", in -> {
        int n = ((Number) in.argument("instances")).intValue();
        if (n > 300) return TestPolicy.deny("ddos-bill", "more than 300 instances is a DDoS bill, not a fix");
        if (n >= 150) return TestPolicy.approve(Tier.T3, 2, List.of(), true, Duration.ofSeconds(30));
        if (n >= 20) return TestPolicy.approve(Tier.T2, "db".equals(in.argument("service")) ? 2 : 1, List.of(), false, Duration.ofSeconds(30));
        return TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(30));
    });

    @TempDir
    Path dir;
    GovernorHarness h;
    final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        callers.shutdownNow();
        if (h != null) h.close();
    }

    private static Intent scale(String service, int instances) {
        return GovernorHarness.intent("scale_service").arg("service", service).arg("instances", instances).build();
    }

    private <T> Future<T> waiting(Intent intent, java.util.concurrent.Callable<T> call) {
        Future<T> f = callers.submit(call);
        h.backend.awaitRequest(intent.id(), WAIT);
        return f;
    }

    private VoteResult edit(Intent intent, String approver, Map<String, Object> edits) {
        return h.backend.vote(intent.id(), Vote.approve(approver).withEdits(edits));
    }

    @Test
    void scaleTo100EditedTo25RunsWith25AndTheAuditKeepsBoth() throws Exception {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = scale("web", 100);
        Future<Execution> admitted = waiting(intent, () -> h.governor.admit(intent));

        VoteResult r = edit(intent, "alice", Map.of("instances", 25));
        assertTrue(r.accepted(), String.valueOf(r));
        assertEquals("granted", r.state());
        Execution run = admitted.get(5, TimeUnit.SECONDS);
        assertEquals(Map.of("service", "web", "instances", 25), run.args());
        assertEquals(Map.of("service", "web", "instances", 100), run.requestedArgs());
        assertEquals(Map.of("instances", new Authorization.Change(100, 25)), run.changes());
        assertEquals("alice", run.changedBy());
        assertEquals(CanonicalJson.argsDigest(Map.of("service", "web", "instances", 25)), run.warrant().argsDigest());
        assertEquals(intent.id(), run.warrant().intentId(), "the edited call is the same intent");
        run.completed("scaled web to 25");

        AuditPayload.ArgumentsEdited edited = (AuditPayload.ArgumentsEdited) h.only(intent.id(), ARGUMENTS_EDITED).payload();
        assertEquals(new AuditPayload.ArgumentsEdited("alice", "{\"instances\":100,\"service\":\"web\"}", "{\"instances\":25,\"service\":\"web\"}",
                run.warrant().argsDigest(), "T2", List.of("rule-T2"), List.of()), edited);
        assertEquals(run.warrant().toJson(), h.only(intent.id(), WARRANT_ISSUED).fields().get("warrant"));
    }

    @Test
    void theWarrantOfAnEditedCallAcceptsTheEditedArgumentsAndOnlyThose() throws Exception {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = scale("web", 100);
        Future<Authorization> granted = waiting(intent, () -> h.governor.authorizeCall(intent));
        edit(intent, "alice", Map.of("instances", 25L)); // JSON numbers arrive as any integral type: the call's own type is kept
        Authorization a = granted.get(5, TimeUnit.SECONDS);
        assertEquals(Integer.valueOf(25), a.args().get("instances"));
        assertEquals(intent.args(), a.requested().args());
        Warrant w = a.warrant();

        DeniedException asRequested = assertThrows(DeniedException.class, () -> h.governor.verify(w, "scale_service", intent.args()));
        assertEquals(DenialStage.VERIFICATION, asRequested.stage());
        assertEquals(RejectionReason.ARGS_MISMATCH.wireName(), asRequested.deniedBy());
        h.governor.verify(w, "scale_service", Map.of("service", "web", "instances", 25)).completed("ok");
    }

    @Test
    void anEditThePolicyWouldDenyIsRefusedWithItsReasonAndTheIntentStillWaits() throws Exception {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = scale("web", 100);
        Future<Execution> admitted = waiting(intent, () -> h.governor.admit(intent));

        VoteResult r = edit(intent, "alice", Map.of("instances", 400));
        assertFalse(r.accepted());
        assertEquals("pending", r.state());
        assertEquals("the policy denies the edited call: rule 'ddos-bill': more than 300 instances is a DDoS bill, not a fix", r.rejection());
        assertEquals(0, h.count(intent.id(), ARGUMENTS_EDITED));
        assertEquals(r.rejection() + " (proposed edits: {\"instances\":400})", h.only(intent.id(), VOTE).fields().get("rejection"),
                "the record keeps what was proposed");

        assertTrue(h.backend.approve(intent.id(), "alice").accepted(), "alice may still approve the call as asked");
        assertTrue(admitted.get(5, TimeUnit.SECONDS).changes().isEmpty());
    }

    @Test
    void anEditMayNotLowerTheTierNorRaiseIt() {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = scale("web", 100);
        waiting(intent, () -> h.governor.authorize(intent));

        VoteResult lower = edit(intent, "alice", Map.of("instances", 5));
        assertEquals("an edit may not lower the tier below what was asked: T1 < T2", lower.rejection());
        VoteResult higher = edit(intent, "alice", Map.of("instances", 200));
        assertEquals("an edit may not raise the tier above what was asked: T3 > T2; deny and let the agent ask for it", higher.rejection());
        assertEquals("pending", higher.state());
        assertEquals(0, h.count(intent.id(), ARGUMENTS_EDITED));
    }

    @Test
    void anEditOfAnUnknownArgumentOrOfAnotherTypeIsRefused() {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = GovernorHarness.intent("scale_service").arg("service", "web").arg("instances", 100)
                .arg("zones", List.of("a", "b")).arg("dry_run", false).build();
        waiting(intent, () -> h.governor.authorize(intent));

        assertEquals("edit refused: the call has no argument 'replicas' (its arguments: [service, instances, zones, dry_run])",
                edit(intent, "alice", Map.of("replicas", 25)).rejection());
        assertEquals("edit refused: 'instances' takes a number, not the text \"25\" (an edit keeps the argument's type)",
                edit(intent, "alice", Map.of("instances", "25")).rejection());
        assertEquals("edit refused: 'instances' is a whole number (Integer), not 25.5",
                edit(intent, "alice", Map.of("instances", 25.5)).rejection());
        assertEquals("edit refused: 'instances' is a Integer; 3000000000 is out of its range",
                edit(intent, "alice", Map.of("instances", 3_000_000_000L)).rejection());
        assertEquals("edit refused: 'service' takes text, not integer 7 (an edit keeps the argument's type)",
                edit(intent, "alice", Map.of("service", 7)).rejection());
        assertEquals("edit refused: 'dry_run' takes true or false, not the text \"yes\" (an edit keeps the argument's type)",
                edit(intent, "alice", Map.of("dry_run", "yes")).rejection());
        assertEquals("edit refused: 'zones' cannot be edited: it is a collection (only numbers, text, booleans and enums can be)",
                edit(intent, "alice", Map.of("zones", List.of("a"))).rejection());
        assertEquals("only an approve vote carries edits",
                h.backend.vote(intent.id(), Vote.deny("alice", "no").withEdits(Map.of("instances", 25))).rejection());
        assertEquals(0, h.count(intent.id(), ARGUMENTS_EDITED));
        assertEquals("granted", h.backend.approve(intent.id(), "carol").state(), "the call as asked can still be approved");
    }

    @Test
    void anEditReplacesTheProposalSoEarlierApprovalsNoLongerCountAndLaterOnesApplyToTheEditedValues() throws Exception {
        h = new GovernorHarness(dir, SCALING);
        Intent intent = scale("db", 100); // two approvals
        Future<Execution> admitted = waiting(intent, () -> h.governor.admit(intent));

        assertEquals("pending", h.backend.approve(intent.id(), "alice").state());
        VoteResult bobs = edit(intent, "bob", Map.of("instances", 40));
        assertTrue(bobs.accepted());
        assertEquals("pending", bobs.state(), "alice approved 100, not 40: her approval no longer counts");
        AuditEvent e = h.only(intent.id(), ARGUMENTS_EDITED);
        assertEquals(List.of("alice"), e.fields().get("discarded_approvals"));
        assertEquals(40, h.backend.pending().get(0).intent().args().get("instances"), "the backend shows what approvals are now for");

        VoteResult same = edit(intent, "carol", Map.of("instances", 40));
        assertTrue(same.accepted(), "an edit equal to the proposal is an approval of it");
        Execution run = admitted.get(5, TimeUnit.SECONDS);
        assertEquals(40, run.args().get("instances"));
        assertEquals(List.of("bob", "carol"), run.warrant().approvedBy());
        assertEquals("bob", run.changedBy());
        assertEquals(1, h.count(intent.id(), ARGUMENTS_EDITED));
    }

    @Test
    void aNullRequestedValueIsNotEditableAndEnumsAndWholeDecimalsConvert() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ArgumentEdits.apply(java.util.Collections.singletonMap("note", null), Map.of("note", "x")));
        assertEquals("'note' cannot be edited: its requested value is null, so its type is unknown (only numbers, text, booleans and enums can be)",
                e.getMessage());
        assertInstanceOf(Integer.class, ArgumentEdits.apply(Map.of("n", 1), Map.of("n", new java.math.BigDecimal("25.000"))).get("n"),
                "25.000 is a whole number");
        assertEquals(RetentionEnum.DAYS, ArgumentEdits.apply(Map.of("unit", RetentionEnum.HOURS), Map.of("unit", "DAYS")).get("unit"));
        assertThrows(IllegalArgumentException.class, () -> ArgumentEdits.apply(Map.of("unit", RetentionEnum.HOURS), Map.of("unit", "WEEKS")));
    }

    enum RetentionEnum { HOURS, DAYS }
}
