package dev.magistrate.governor;

import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Break-glass on the real governor and a real Chronicle audit trail on disk: who may open a grant and how, what a
 * grant lets through and what it never does, uses taken atomically, expiry, review by another approver, and the
 * state rebuilt from the trail after a restart.
 */
class BreakGlassTest {

    static final String POLICY = """
            version: "incident"
            default: T0
            policies:
              - name: scale
                condition: "action == 'scale_web'"
                risk_tier: T2
              - name: cache-freeze
                condition: "action == 'drop_cache'"
                effect: deny
                reason: "cache drops are frozen this week"
              - name: compliance-append-only
                condition: "action == 'delete_audit_row'"
                effect: deny
                reason: "compliance tables are append-only"
                break_glass: never
            break_glass:
              roles: [engineering_director]
              max_uses: 3
              max_duration: 30m
            """;

    static final Instant NOON = Instant.parse("2026-11-30T12:00:00Z");
    static final CheckpointSigner SIGNER = CheckpointSigner.fromSeed("magistrate.test/break-glass",
            java.util.HexFormat.of().parseHex(CanonicalJson.sha256Hex("break-glass key".getBytes(StandardCharsets.UTF_8))));
    /** erin holds engineering_director: she may open grants. */
    static final ApproverCredential ERIN = new ApproverCredential.SignedIn("erin", "test sign-in (password)");
    static final ApproverCredential ALICE = new ApproverCredential.SignedIn("alice", "test sign-in (password)");

    @TempDir
    Path dir;
    MutableClock clock;
    final List<AutoCloseable> open = new ArrayList<>();
    final ExecutorService agents = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() throws Exception {
        agents.shutdownNow();
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    GovernorHarness governor(String yaml, Instant now) {
        ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir.resolve("audit"), "magistrate.test/break-glass", SIGNER));
        clock = new MutableClock(now);
        GovernorHarness h = new GovernorHarness(dir, PolicyCompiler.compile(PolicyLoader.parse("incident.yaml", yaml)), null, log,
                b -> b.clock(clock).defaultApprovalTimeout(Duration.ofHours(1)));
        open.add(log);
        open.add(h);
        return h;
    }

    /** Closes the governor and its log, as a process stopping would. */
    void stop(GovernorHarness h) throws Exception {
        h.close();
        open.remove(h);
        open.remove(open.size() - 1).close();
    }

    String erinsCode() {
        clock.advance(Duration.ofSeconds(Totp.STEP_SECONDS)); // each code is accepted once
        return Totp.codeAt(Totp.decodeBase32(GovernorHarness.ERIN_SECRET), clock.instant());
    }

    BreakGlass.Grant openGrant(GovernorHarness h, int uses, Duration duration, String... actions) {
        return h.governor.breakGlass().open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "INC-4711: checkout is down",
                List.of(actions), uses, duration));
    }

    static Intent call(String action) {
        return GovernorHarness.intent(action).arg("instances", 40).justification("incident").build();
    }

    List<AuditEvent> trail() {
        List<AuditEvent> all = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir.resolve("audit"))) {
            CanonicalEntry.Decoded e;
            while ((e = reader.nextEntry()) != null) all.add(e.event());
        }
        return all;
    }

    List<AuditEvent> trail(String intentId, AuditEventType type) {
        return trail().stream().filter(e -> e.intentId().equals(intentId) && e.type() == type).toList();
    }

    List<AuditPayload.Access> refusals() {
        return trail().stream().filter(e -> e.type() == AuditEventType.ACCESS).map(e -> (AuditPayload.Access) e.payload())
                .filter(a -> a.channel().equals(BreakGlass.CHANNEL)).toList();
    }

    @Test
    void aT2CallRunsAtOnceUnderAGrantAndTheAuditNamesTheGrant() {
        GovernorHarness h = governor(POLICY, NOON);
        BreakGlass.Grant g = openGrant(h, 2, Duration.ofMinutes(20), "scale_*");
        Intent scale = call("scale_web");

        Warrant w = h.governor.authorize(scale); // no approver is asked: this returns at once
        assertEquals(List.of("break-glass:" + g.id()), w.approvedBy());
        h.governor.verify(w, scale.action(), scale.args()).completed("scaled to 40");

        assertEquals(0, trail(scale.id(), AuditEventType.APPROVAL_REQUESTED).size(), "no approval was requested");
        AuditPayload.Decision decided = (AuditPayload.Decision) trail(scale.id(), AuditEventType.DECISION).get(0).payload();
        assertEquals("approve", decided.effect(), "decided by the policy as usual, and audited with the decision");
        AuditPayload.BreakGlassUsed used = (AuditPayload.BreakGlassUsed) trail(scale.id(), AuditEventType.BREAK_GLASS_USED).get(0).payload();
        assertEquals(new AuditPayload.BreakGlassUsed(g.id(), "approve", List.of("scale"), 1), used);
        AuditPayload.WarrantIssued issued = (AuditPayload.WarrantIssued) trail(scale.id(), AuditEventType.WARRANT_ISSUED).get(0).payload();
        assertEquals(List.of("break-glass:" + g.id()), issued.approvedBy());
        assertEquals(1, trail(scale.id(), AuditEventType.EXECUTION_COMPLETED).size());

        AuditPayload.BreakGlassOpened opened = (AuditPayload.BreakGlassOpened) trail(g.id(), AuditEventType.BREAK_GLASS_OPENED).get(0).payload();
        assertEquals("erin", opened.openedBy());
        assertEquals(List.of("engineering_director"), opened.roles());
        assertEquals("totp", opened.mfa());
        assertEquals("INC-4711: checkout is down", opened.reason());
        assertEquals(List.of("scale_*"), opened.actions());
        assertEquals(2, opened.uses());
        assertEquals(clock.instant().plus(Duration.ofMinutes(20)).toString(), opened.expiresAt());
        assertEquals(1, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft());

        VerificationResult verified = new AuditLogVerifier(SIGNER.verifier()).verify(dir.resolve("audit"));
        assertFalse(verified.tampered(), verified.summary()); // the new entries chain like any other (the tail is signed at close)
        assertEquals(trail().size(), verified.entries());
    }

    @Test
    void anOverridableDenyIsLetThroughAndABreakGlassNeverRuleStaysDenied() {
        GovernorHarness h = governor(POLICY, NOON);
        BreakGlass.Grant g = openGrant(h, 3, Duration.ofMinutes(10), "drop_cache", "delete_audit_row");

        Intent drop = call("drop_cache");
        Warrant w = h.governor.authorize(drop);
        assertEquals(List.of("break-glass:" + g.id()), w.approvedBy());
        h.governor.verify(w, drop.action(), drop.args()).completed("dropped");
        AuditPayload.BreakGlassUsed used = (AuditPayload.BreakGlassUsed) trail(drop.id(), AuditEventType.BREAK_GLASS_USED).get(0).payload();
        assertEquals(new AuditPayload.BreakGlassUsed(g.id(), "deny", List.of("cache-freeze"), 2), used);

        Intent delete = call("delete_audit_row");
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(delete));
        assertTrue(e.getMessage().contains("compliance tables are append-only"), e.getMessage());
        assertTrue(e.getMessage().contains("break_glass: never: break-glass cannot override it"), e.getMessage());
        assertEquals(0, trail(delete.id(), AuditEventType.BREAK_GLASS_USED).size());
        assertEquals(1, trail(delete.id(), AuditEventType.INTENT_DENIED).size());
        assertEquals(2, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft(), "a call the grant cannot let through takes no use");

        // An action the grant does not name is untouched: scale_web waits for its two approvals.
        CompletableFuture<Warrant> scale = h.governor.authorizeAsync(call("scale_web"));
        assertFalse(scale.isDone());
        assertEquals(1, h.governor.pendingApprovals());
    }

    @Test
    void aUsedUpOrExpiredGrantDoesNothing() {
        GovernorHarness h = governor(POLICY, NOON);
        openGrant(h, 1, Duration.ofMinutes(30), "scale_web");
        assertTrue(h.governor.authorizeAsync(call("scale_web")).isDone(), "the one use");
        CompletableFuture<Warrant> second = h.governor.authorizeAsync(call("scale_web"));
        assertFalse(second.isDone(), "used up: the call waits for approvals as usual");

        BreakGlass.Grant short_ = openGrant(h, 3, Duration.ofMinutes(5), "scale_web");
        clock.advance(Duration.ofMinutes(5));
        Intent late = call("scale_web");
        assertFalse(h.governor.authorizeAsync(late).isDone(), "expired: the call waits for approvals as usual");
        assertEquals(0, trail(late.id(), AuditEventType.BREAK_GLASS_USED).size());
        assertEquals(3, h.governor.breakGlass().grant(short_.id()).orElseThrow().usesLeft());
        assertEquals(2, h.governor.pendingApprovals());
    }

    @Test
    void twoCallsRacingForTheLastUseNeverBothTakeIt() throws Exception {
        GovernorHarness h = governor(POLICY, NOON);
        for (int round = 0; round < 20; round++) {
            BreakGlass.Grant g = openGrant(h, 2, Duration.ofMinutes(30), "scale_web");
            assertTrue(h.governor.authorizeAsync(call("scale_web")).isDone(), "the first use");
            CountDownLatch start = new CountDownLatch(1);
            List<Future<CompletableFuture<Warrant>>> racers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                racers.add(agents.submit(() -> {
                    start.await();
                    return h.governor.authorizeAsync(call("scale_web"));
                }));
            }
            start.countDown();
            int granted = 0;
            for (Future<CompletableFuture<Warrant>> r : racers) if (r.get(30, TimeUnit.SECONDS).isDone()) granted++;
            assertEquals(1, granted, "round " + round + ": exactly one racer takes the last use, the other waits for approvals");
            assertEquals(0, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft());
            long usedEntries = trail().stream().filter(e -> e.type() == AuditEventType.BREAK_GLASS_USED)
                    .filter(e -> ((AuditPayload.BreakGlassUsed) e.payload()).grantId().equals(g.id())).count();
            assertEquals(2, usedEntries, "round " + round);
            h.governor.breakGlass().review(g.id(), "alice", ALICE, "ok", "race round " + round); // ends it
        }
    }

    @Test
    void eachRefusalToOpenIsAuditedWithWhy() {
        GovernorHarness h = governor(POLICY, NOON);
        BreakGlass bg = h.governor.breakGlass();
        String bobsCode = Totp.codeAt(Totp.decodeBase32(GovernorHarness.BOB_SECRET), clock.instant());
        List<String> expected = List.of(
                "'bob' holds none of the roles that may open a break-glass grant [engineering_director]",
                "MFA failed: break-glass requires a TOTP code: a TOTP code is missing",
                "MFA failed: wrong TOTP code",
                "a break-glass grant needs a reason",
                "uses must be from 1 to 3 (the policy's max_uses), not 4",
                "the expiry must be positive and at most 30 minutes (the policy's max_duration), not PT31M",
                "to open a break-glass grant, 'erin' must present their own credential",
                "signed in as 'alice', not as 'erin'",
                "unknown approver 'mallory'",
                "a break-glass grant names the actions it covers",
                "action '*' is not an action name or a glob");
        List<Runnable> attempts = List.of(
                () -> bg.open(new BreakGlass.Opening("bob", new ApproverCredential.SignedIn("bob", "t"), bobsCode, "r", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, null, "r", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, "000000".equals(erinsCode()) ? "111111" : "000000", "r", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "   ", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "r", List.of("scale_web"), 4, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "r", List.of("scale_web"), 1, Duration.ofMinutes(31))),
                () -> bg.open(new BreakGlass.Opening("erin", null, erinsCode(), "r", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ALICE, erinsCode(), "r", List.of("scale_web"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("mallory", new ApproverCredential.SignedIn("mallory", "t"), "123456", "r", List.of("x"), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "r", List.of(), 1, Duration.ofMinutes(5))),
                () -> bg.open(new BreakGlass.Opening("erin", ERIN, erinsCode(), "r", List.of("*"), 1, Duration.ofMinutes(5))));
        for (int i = 0; i < attempts.size(); i++) {
            BreakGlassRefusedException e = assertThrows(BreakGlassRefusedException.class, attempts.get(i)::run);
            assertTrue(e.getMessage().startsWith(expected.get(i)), e.getMessage());
            List<AuditPayload.Access> audited = refusals();
            assertEquals(i + 1, audited.size());
            assertEquals(e.getMessage(), audited.get(i).detail());
            assertFalse(audited.get(i).allowed());
        }
        assertTrue(bg.grants().isEmpty());
        assertTrue(trail().stream().noneMatch(e -> e.type() == AuditEventType.BREAK_GLASS_OPENED));
    }

    @Test
    void aPolicyWithoutTheSectionMakesBreakGlassImpossible() {
        GovernorHarness h = governor("default: T2\npolicies: []\n", NOON);
        BreakGlassRefusedException e = assertThrows(BreakGlassRefusedException.class, () -> openGrant(h, 1, Duration.ofMinutes(5), "scale_web"));
        assertTrue(e.getMessage().contains("no break_glass section"), e.getMessage());
        assertEquals(1, refusals().size());
    }

    @Test
    void aReviewByAnotherApproverEndsTheGrantAndTheOpenerCannotReviewTheirOwn() {
        GovernorHarness h = governor(POLICY, NOON);
        BreakGlass bg = h.governor.breakGlass();
        BreakGlass.Grant g = openGrant(h, 3, Duration.ofMinutes(30), "scale_web");
        assertEquals(List.of(g.id()), bg.unreviewed().stream().map(BreakGlass.Grant::id).toList());

        BreakGlassRefusedException self = assertThrows(BreakGlassRefusedException.class, () -> bg.review(g.id(), "erin", ERIN, "ok", "fine"));
        assertTrue(self.getMessage().contains("a grant is reviewed by a different approver"), self.getMessage());
        assertThrows(BreakGlassRefusedException.class, () -> bg.review(g.id(), "alice", ALICE, "ok", " "));
        assertThrows(BreakGlassRefusedException.class, () -> bg.review(g.id(), "alice", ALICE, "fine", "looks right"));
        assertThrows(BreakGlassRefusedException.class, () -> bg.review(g.id(), "alice", ERIN, "ok", "signed in as someone else"));
        assertEquals(4, refusals().size(), "each refused review is audited");

        BreakGlass.Grant reviewed = bg.review(g.id(), "alice", ALICE, "misuse", "scaled far past what the incident needed");
        assertEquals(new BreakGlass.Review("alice", BreakGlass.Verdict.MISUSE, "scaled far past what the incident needed", clock.instant()),
                reviewed.review());
        assertTrue(bg.unreviewed().isEmpty());
        assertEquals(new AuditPayload.BreakGlassReviewed(g.id(), "alice", "test sign-in (password)", "misuse",
                "scaled far past what the incident needed"), trail(g.id(), AuditEventType.BREAK_GLASS_REVIEWED).get(0).payload());
        assertThrows(BreakGlassRefusedException.class, () -> bg.review(g.id(), "bob", new ApproverCredential.SignedIn("bob", "t"), "ok", "again"));
        assertFalse(h.governor.authorizeAsync(call("scale_web")).isDone(), "a reviewed grant lets nothing through");
    }

    @Test
    void aRestartKeepsTheUsesLeftAndTheUnreviewedState() throws Exception {
        GovernorHarness first = governor(POLICY, NOON);
        BreakGlass.Grant g = openGrant(first, 3, Duration.ofMinutes(30), "scale_web");
        Intent before = call("scale_web");
        Warrant w = first.governor.authorize(before);
        first.governor.verify(w, before.action(), before.args()).completed("scaled");
        stop(first);

        GovernorHarness second = governor(POLICY, NOON.plus(Duration.ofMinutes(10)));
        BreakGlass.Grant rebuilt = second.governor.breakGlass().grant(g.id()).orElseThrow();
        assertEquals(2, rebuilt.usesLeft());
        assertFalse(rebuilt.reviewed());
        assertEquals(g.expiresAt(), rebuilt.expiresAt());
        assertEquals(List.of(g.id()), second.governor.breakGlass().unreviewed().stream().map(BreakGlass.Grant::id).toList());
        assertTrue(second.governor.authorizeAsync(call("scale_web")).isDone(), "the grant still lets calls through after the restart");
        assertTrue(second.governor.authorizeAsync(call("scale_web")).isDone());
        assertFalse(second.governor.authorizeAsync(call("scale_web")).isDone(), "three uses in all, across the restart");
        second.governor.breakGlass().review(g.id(), "alice", ALICE, "ok", "needed during INC-4711");
        stop(second);

        GovernorHarness third = governor(POLICY, NOON.plus(Duration.ofMinutes(20)));
        assertTrue(third.governor.breakGlass().unreviewed().isEmpty(), "the review survives the restart too");
        assertEquals(BreakGlass.Verdict.OK, third.governor.breakGlass().grant(g.id()).orElseThrow().review().verdict());
    }

    @Test
    void aGrantNeverLiftsABudgetAndTheCallsItLetsThroughSpendFromIt() {
        GovernorHarness h = governor("""
                default: T0
                policies:
                  - name: scale
                    condition: "action == 'scale_web'"
                    risk_tier: T2
                  - name: hourly budget
                    condition: "sum(args.instances, 'scale_*', 1h) + args.instances > 50"
                    effect: deny
                    reason: "the hourly budget of 50 instances is spent"
                break_glass: {roles: [engineering_director], max_uses: 3, max_duration: 30m}
                """, NOON);
        BreakGlass.Grant g = openGrant(h, 3, Duration.ofMinutes(30), "scale_web");
        Intent first = call("scale_web"); // 40 instances
        Warrant w = h.governor.authorize(first);
        h.governor.verify(w, first.action(), first.args()).completed("scaled");
        AuditPayload.Decision spent = (AuditPayload.Decision) trail(first.id(), AuditEventType.DECISION).get(0).payload();
        assertEquals(List.of("40 sum(args.instances, 'scale_*', 1h)"), spent.windowSpend(), "the call under the grant spends like any granted call");

        Intent second = call("scale_web"); // 40 + 40 > 50
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(second));
        assertTrue(e.getMessage().contains("the hourly budget of 50 instances is spent"), e.getMessage());
        assertTrue(e.getMessage().contains("break-glass grant " + g.id() + " covers this action, but rule 'hourly budget' enforces a budget"
                + " (a sliding window): break-glass does not lift budgets"), e.getMessage());
        assertEquals(2, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft());
    }

    @Test
    void anOverriddenDenyCountsInTheWindowsLikeAnyGrantedCall() {
        GovernorHarness h = governor("""
                default: T0
                policies:
                  - name: cache-freeze
                    condition: "action == 'drop_cache'"
                    effect: deny
                    reason: "cache drops are frozen this week"
                  - name: two drops an hour
                    condition: "count('drop_cache', 1h) >= 2"
                    effect: deny
                    reason: "two cache drops an hour at most"
                break_glass: {roles: [engineering_director], max_uses: 3, max_duration: 30m}
                """, NOON);
        BreakGlass.Grant g = openGrant(h, 3, Duration.ofMinutes(30), "drop_cache");
        for (int i = 0; i < 2; i++) {
            Intent drop = call("drop_cache");
            Warrant w = h.governor.authorize(drop);
            h.governor.verify(w, drop.action(), drop.args()).completed("dropped");
        }
        DeniedException third = assertThrows(DeniedException.class, () -> h.governor.authorize(call("drop_cache")));
        assertTrue(third.getMessage().contains("rule 'two drops an hour' enforces a budget"), third.getMessage());
        assertEquals(1, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft());
    }

    @Test
    void globsCoverActionNames() {
        assertTrue(BreakGlass.glob("scale_*", "scale_web"));
        assertTrue(BreakGlass.glob("*_web", "scale_web"));
        assertTrue(BreakGlass.glob("s*e_*b", "scale_web"));
        assertFalse(BreakGlass.glob("scale_*", "descale_web"));
        assertFalse(BreakGlass.glob("scale_web", "scale_web2"));
        assertFalse(BreakGlass.glob("a*a", "a"));
    }
}
