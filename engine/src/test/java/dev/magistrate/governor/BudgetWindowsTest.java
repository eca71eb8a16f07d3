package dev.magistrate.governor;

import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.Tier;
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
import java.util.Map;
import java.util.concurrent.Callable;
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
 * Windows and budgets on the real governor, a real Chronicle audit trail on disk and a clock the test moves:
 * what counts (granted calls that ran or hold a reservation), what does not (denials), the text of a budget
 * denial, the state rebuilt from the trail after a restart, and concurrent calls that race for the last of a budget.
 */
class BudgetWindowsTest {

    static final String INCIDENT_POLICY = """
            version: "budgets"
            default: T0
            policies:
              - name: "Many scale-ups in an hour"
                condition: "count('scale_*', 1h) >= 3"
                risk_tier: T3
              - name: "Hourly scale-up budget"
                condition: "sum(args.instances, 'scale_*', 1h) + args.instances > 20"
                effect: deny
                reason: "the hourly scale-up budget of 20 instances is spent."
            """;

    static final Instant NOON = Instant.parse("2026-11-30T12:00:00Z");
    static final CheckpointSigner SIGNER = CheckpointSigner.fromSeed("magistrate.test/windows",
            java.util.HexFormat.of().parseHex(CanonicalJson.sha256Hex("windows key".getBytes(StandardCharsets.UTF_8))));

    @TempDir
    Path dir;
    /** The clock of the governor {@link #governor} made last. */
    MutableClock clock;
    final List<AutoCloseable> open = new ArrayList<>();
    final ExecutorService agents = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() throws Exception {
        agents.shutdownNow();
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    static CompiledPolicy policy(String yaml) {
        return PolicyCompiler.compile(PolicyLoader.parse("budgets.yaml", yaml));
    }

    /** A governor on the Chronicle log in dir/audit, its clock at {@code now} (set before the first decision; the rebuild reads the trail at build time). */
    GovernorHarness governor(String yaml, Instant now) {
        ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir.resolve("audit"), "magistrate.test/windows", SIGNER));
        clock = new MutableClock(now); // entries carry the governor's clock: the windows, live and rebuilt at build time, follow it
        GovernorHarness h = new GovernorHarness(dir, policy(yaml), null, log, b -> b.clock(clock).defaultWarrantTtl(Duration.ofHours(2)));
        open.add(log);
        open.add(h);
        return h;
    }

    static Intent scaleUp(int instances) {
        return GovernorHarness.intent("scale_web").arg("instances", instances).justification("traffic").build();
    }

    /** Authorises, runs and completes a call (approved by alice and erin with their TOTP codes at T3). */
    Warrant run(GovernorHarness h, Intent intent) throws Exception {
        Future<Warrant> f = agents.submit(() -> h.governor.authorize(intent));
        if (h.governor.decide(intent).effect() == Effect.APPROVE && h.governor.decide(intent).tier() == Tier.T3) {
            h.backend.awaitRequest(intent.id(), Duration.ofSeconds(10));
            clock.advance(Duration.ofSeconds(Totp.STEP_SECONDS)); // a fresh code for each approval
            for (String[] approver : new String[][]{{"alice", GovernorHarness.ALICE_SECRET}, {"erin", GovernorHarness.ERIN_SECRET}}) {
                var vote = h.backend.approve(intent.id(), approver[0], Totp.codeAt(Totp.decodeBase32(approver[1]), clock.instant()));
                assertTrue(vote.accepted(), vote.toString());
            }
        }
        Warrant w = f.get(10, TimeUnit.SECONDS);
        h.governor.verify(w, intent.action(), intent.args()).completed("scaled");
        return w;
    }

    /** The section "Windows and budgets" of docs/policy-language.md: its first YAML block and its first plain block (the denial). */
    static List<String> documented() throws java.io.IOException {
        String doc = java.nio.file.Files.readString(Path.of("../docs/policy-language.md"));
        String section = doc.substring(doc.indexOf("## Windows and budgets"));
        int yaml = section.indexOf("```yaml\n") + "```yaml\n".length();
        String policy = section.substring(yaml, section.indexOf("```", yaml));
        int text = section.indexOf("```\n", section.indexOf("```", yaml) + 3) + "```\n".length();
        return List.of(policy, section.substring(text, section.indexOf("\n```", text)));
    }

    @Test
    void smallScaleUpsAreEscalatedToT3AndThenDeniedOnceTheHourlyBudgetIsSpent() throws Exception {
        List<String> documented = documented();
        GovernorHarness h = governor(documented.get(0), NOON);
        List<Tier> tiers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Intent call = scaleUp(4);
            tiers.add(h.governor.decide(call).tier());
            Warrant w = run(h, call);
            assertEquals(tiers.get(i), w.tier());
            assertEquals(List.of("1 count('scale_*', 1h)", "4 sum(args.instances, 'scale_*', 1h)"), windowSpend(call),
                    "the DECISION entry records what the call adds to each window (no cost: nothing for the daily spend)");
            clock.advance(Duration.ofMinutes(5));
        }
        assertEquals(List.of(Tier.T0, Tier.T0, Tier.T0, Tier.T3, Tier.T3), tiers, "the fourth small scale-up within the hour needs T3");

        Intent oneMore = scaleUp(2);
        DeniedException denied = assertThrows(DeniedException.class, () -> h.governor.authorize(oneMore));
        assertEquals(DenialStage.POLICY, denied.stage());
        assertEquals("Hourly scale-up budget", denied.deniedBy());
        assertTrue(denied.getMessage().contains("the hourly scale-up budget of 20 instances is spent (budget sum(args.instances, 'scale_*', 1h):"
                + " 20 used by agent ops-agent in the last 1h; 4 of it frees at 2026-11-30T13:01:00Z)"), denied.getMessage());
        assertTrue(denied.getMessage().contains(documented.get(1)), "the docs show the real text: " + documented.get(1));
        assertFalse(denied.getMessage().contains("count("), "only the windows of the rule that denied: " + denied.getMessage());
        assertEquals(List.of(), windowSpend(oneMore), "a denied call spends nothing");
        assertEquals(Effect.DENY, h.governor.decide(scaleUp(1)).effect(), "20 of 20 used: even one more is too many");

        clock.set(Instant.parse("2026-11-30T13:01:00Z"));
        Decision later = h.governor.decide(scaleUp(2));
        assertEquals(Effect.APPROVE, later.effect(), "the noon scale-up left the window: 16 + 2 fits, still the fourth in the hour");
        assertEquals(Tier.T3, later.tier());
    }

    /** What the call's DECISION entry in the Chronicle log says it adds to the windows. */
    private List<String> windowSpend(Intent call) {
        try (AuditLogReader reader = AuditLogReader.open(dir.resolve("audit"))) {
            CanonicalEntry.Decoded e;
            while ((e = reader.nextEntry()) != null) {
                if (e.event().type() == AuditEventType.DECISION && e.event().intentId().equals(call.id())) {
                    return ((AuditPayload.Decision) e.payload()).windowSpend();
                }
            }
        }
        throw new AssertionError("no DECISION for " + call.id());
    }

    @Test
    void aRestartRebuildsTheBudgetFromTheAuditTrailAndAKeptWindowSurvivesAPolicyChange() throws Exception {
        GovernorHarness first = governor(INCIDENT_POLICY, NOON);
        run(first, scaleUp(9));
        clock.advance(Duration.ofMinutes(20));
        run(first, scaleUp(9));
        clock.advance(Duration.ofMinutes(1));
        Intent granted = scaleUp(1);
        first.governor.authorize(granted); // granted, never run: it holds its place here, a restart forgets it
        assertEquals(Effect.DENY, first.governor.decide(scaleUp(2)).effect(), "9 + 9 + 1 reserved + 2 > 20");
        first.governor.close();
        open.remove(first);
        open.remove(open.size() - 1).close(); // the audit log

        GovernorHarness second = governor(INCIDENT_POLICY, NOON.plus(Duration.ofMinutes(30)));
        assertEquals(Effect.DENY, second.governor.decide(scaleUp(3)).effect(), "9 + 9 ran before the restart: 3 more is over 20");
        assertEquals(Effect.ALLOW, second.governor.decide(scaleUp(2)).effect(), "the call that never ran is not counted after a restart");

        // A new version that keeps the sum keeps its counter (the call just allowed above was only decided, never submitted).
        second.governor.replacePolicy(policy(INCIDENT_POLICY.replace("budgets", "budgets-v2").replace("count('scale_*', 1h) >= 3", "cost > 1000")));
        assertEquals(Effect.DENY, second.governor.decide(scaleUp(3)).effect(), "the kept window kept its 18");
        // A window new to this process is rebuilt from the trail: the count was recorded while the first version read it.
        second.governor.replacePolicy(policy(INCIDENT_POLICY.replace("budgets", "budgets-v3") + """
                  - name: "Two runs an hour"
                    condition: "count('scale_*', 1h) >= 2"
                    effect: deny
                    reason: "two runs an hour at most"
                """));
        DeniedException e = assertThrows(DeniedException.class, () -> second.governor.authorize(scaleUp(1)));
        assertTrue(e.getMessage().contains("two runs an hour at most (budget count('scale_*', 1h): 2 used by agent ops-agent in the last 1h;"
                + " 1 of it frees at 2026-11-30T13:01:00Z)"), e.getMessage());
        clock.set(Instant.parse("2026-11-30T13:21:00Z"));
        assertEquals(Effect.ALLOW, second.governor.decide(scaleUp(11)).effect(), "both runs left the window");
    }

    @Test
    void aCallDeniedByAnApproverGivesItsReservationBack() throws Exception {
        GovernorHarness h = governor("""
                default: T0
                policies:
                  - name: "Big spend"
                    condition: "cost >= 5"
                    risk_tier: T1
                  - name: "Hourly spend"
                    condition: "sum(cost, 1h) + cost > 10"
                    effect: deny
                    reason: "the hourly spend of 10 is used up"
                """, NOON);
        Intent big = GovernorHarness.intent("buy").estimatedCost(8).build();
        Future<Warrant> waiting = agents.submit(() -> h.governor.authorize(big));
        h.backend.awaitRequest(big.id(), Duration.ofSeconds(10));
        Intent meanwhile = GovernorHarness.intent("buy").estimatedCost(5).build();
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(meanwhile));
        assertTrue(e.getMessage().contains("budget sum(cost, 1h): 8 used by agent ops-agent"), "the waiting call holds its place: " + e.getMessage());
        assertEquals(Effect.APPROVE, h.governor.decide(big).effect(), "a recheck of the waiting call does not count it twice");

        h.backend.deny(big.id(), "bob", "not today");
        assertThrows(Exception.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertEquals(Effect.APPROVE, h.governor.decide(GovernorHarness.intent("buy").estimatedCost(5).build()).effect(),
                "the denied call gave its 8 back");
    }

    @Test
    void callsRacingForTheLastOfABudgetNeverOverspendIt() throws Exception {
        GovernorHarness h = governor("""
                default: T0
                policies:
                  - name: "Hourly spend"
                    condition: "sum(cost, 1h) + cost > 10"
                    effect: deny
                    reason: "the hourly spend of 10 is used up"
                """, NOON);
        int threads = 8, each = 5;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Callable<Integer> agent = () -> {
                start.await();
                int granted = 0;
                for (int i = 0; i < each; i++) {
                    Intent call = GovernorHarness.intent("buy").estimatedCost(1).build();
                    try {
                        Warrant w = h.governor.authorize(call);
                        h.governor.verify(w, "buy", Map.of()).completed("ok");
                        granted++;
                    } catch (DeniedException denied) {
                        assertEquals(DenialStage.POLICY, denied.stage(), denied.getMessage());
                    }
                }
                return granted;
            };
            results.add(agents.submit(agent));
        }
        start.countDown();
        int granted = 0;
        for (Future<Integer> f : results) granted += f.get(60, TimeUnit.SECONDS);
        assertEquals(10, granted, "40 calls of cost 1 raced for a budget of 10");
    }
}
