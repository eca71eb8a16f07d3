package dev.magistrate.server;

import dev.magistrate.policy.PolicyException;
import dev.magistrate.server.FleetFixture.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Windows decided by the service on counters in one real PostgreSQL (embedded, once for the class), through two replicas:
 * races for the last of a budget (per agent and fleet-wide), what a denial, a denied or timed-out approval and an unused
 * warrant give back, what a started call keeps, and a budget that outlives the replicas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetWindowsTest {

    FleetFixture fleet;
    FleetServer a;
    FleetServer b;
    final ExecutorService pool = Executors.newCachedThreadPool();
    int agents;

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        fleet = new FleetFixture(dir, "/fleet-windows-policy.yaml");
        a = fleet.replica("replica-a");
        b = fleet.replica("replica-b");
    }

    @AfterAll
    void stop() throws IOException {
        pool.shutdownNow();
        fleet.close();
    }

    String newAgent() {
        return a.service().enrollAgent("agent-" + (++agents));
    }

    Reply spend(FleetServer on, String token, int amount) {
        return fleet.submit(on, token, "spend", Map.of("amount", amount));
    }

    @Test
    void twoReplicasRacingForTheLastOfAnAgentsBudgetNeverOverspendIt() throws Exception {
        for (int round = 0; round < 20; round++) {
            String agent = "agent-" + (agents + 1);
            String token = newAgent();
            assertEquals("allow", spend(a, token, 9).text("status"));
            // Four calls for the last unit, two through each replica, released together.
            CyclicBarrier go = new CyclicBarrier(4);
            List<Future<Reply>> racing = new ArrayList<>();
            for (FleetServer on : List.of(a, b, a, b)) {
                racing.add(pool.submit((Callable<Reply>) () -> {
                    go.await(30, TimeUnit.SECONDS);
                    return spend(on, token, 1);
                }));
            }
            int allowed = 0;
            for (Future<Reply> f : racing) {
                Reply r = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.status(), r.body().toString());
                if (r.text("status").equals("allow")) {
                    allowed++;
                } else {
                    assertEquals("denied", r.text("status"));
                    assertEquals("Hourly spend", r.text("rule"));
                    assertTrue(r.text("reason").matches("the agent's hourly spend of 10 is used up \\(budget sum\\(args.amount, 'spend', 1h\\):"
                            + " 10 used by agent " + agent + " in the last 1h; (9|10) of it frees at \\d{4}-.*Z\\)"), r.text("reason"));
                }
            }
            assertEquals(1, allowed, "round " + round + ": exactly one call gets the last unit");
            assertEquals(10_000_000L, fleet.count("SELECT sum(amount) FROM window_spends WHERE scope_key = ? AND state = 'reserved'", agent));
        }
    }

    @Test
    void aFleetBudgetIsSharedByEveryAgentOnEveryReplica() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 8; i++) tokens.add(newAgent());
        CyclicBarrier go = new CyclicBarrier(40);
        List<Future<Reply>> racing = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            FleetServer on = i % 2 == 0 ? a : b;
            String token = tokens.get(i % tokens.size());
            racing.add(pool.submit((Callable<Reply>) () -> {
                go.await(30, TimeUnit.SECONDS);
                return fleet.submit(on, token, "deploy", Map.of("service", "api"));
            }));
        }
        int allowed = 0;
        String denial = null;
        for (Future<Reply> f : racing) {
            Reply r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r.body().toString());
            if (r.text("status").equals("allow")) allowed++;
            else denial = r.text("reason");
        }
        assertEquals(30, allowed, "count_fleet('deploy', 1h) >= 30 denies: 30 deploys across 8 agents and 2 replicas, not one more");
        assertTrue(denial.startsWith("the fleet deploys at most 30 times an hour (budget count_fleet('deploy', 1h): 30 used by the fleet"
                + " in the last 1h; "), denial);
    }

    @Test
    void aDeniedCallSpendsNothingAndADeniedOrTimedOutApprovalGivesItsPlaceBack() throws Exception {
        String token = newAgent();
        Reply first = fleet.submit(a, token, "scale_service", Map.of("instances", 8));
        assertEquals("pending", first.text("status"));
        assertEquals("pending", fleet.submit(b, token, "scale_service", Map.of("instances", 8)).text("status"));
        Reply over = fleet.submit(a, token, "scale_service", Map.of("instances", 8));
        assertEquals("denied", over.text("status"), "a waiting call holds its place: 8 + 8 + 8 > 20");
        assertTrue(over.text("reason").contains("(budget sum_fleet(args.instances, 'scale_*', 1h): 16 used by the fleet in the last 1h;"),
                over.text("reason"));
        // The policy's denial added nothing; an approver's denial gives the first call's 8 back.
        assertEquals("denied", fleet.vote(b, first.text("request_id"), "alice", "deny").body().path("state").asText());
        Reply batch = fleet.submit(b, token, "scale_batch", Map.of("instances", 12));
        assertEquals("pending", batch.text("status"), "8 + 12 is the budget, not over it");
        assertEquals("denied", fleet.submit(a, token, "scale_service", Map.of("instances", 1)).text("status"));
        // The batch request times out after 2 s (on either replica): its 12 go back.
        Reply timedOut = fleet.get(a, "/v1/intents/" + batch.text("request_id") + "?wait=20", token);
        assertEquals("timed_out", timedOut.text("state"), timedOut.body().toString());
        assertEquals("pending", fleet.submit(a, token, "scale_service", Map.of("instances", 12)).text("status"));
        assertEquals(0, fleet.count("SELECT count(*) FROM window_spends WHERE request_id = ? AND state = 'reserved'", batch.text("request_id")));
    }

    @Test
    void aWarrantThatExpiredUnusedGivesItsAmountBackAndAStartedCallKeepsIt() {
        String unusedToken = newAgent();
        Reply unused = spend(a, unusedToken, 10);
        assertEquals("allow", unused.text("status"));
        assertEquals("denied", spend(b, unusedToken, 1).text("status"));

        String startedToken = newAgent();
        Reply started = spend(b, startedToken, 10);
        Reply consumed = fleet.post(a, "/v1/intents/" + started.text("request_id") + "/execution", startedToken,
                Map.of("warrant", started.text("warrant"), "outcome", "started"));
        assertEquals("consumed", consumed.text("status"), consumed.body().toString());

        // Both warrants expire (as if their TTL had passed) and the sweep runs past its grace period.
        for (Reply r : List.of(unused, started)) {
            assertEquals(1, fleet.execute("UPDATE warrants SET expires_at = clock_timestamp() - interval '10 minutes' WHERE request_id = ?",
                    r.text("request_id")));
        }
        a.service().expireDue();
        assertEquals("allow", spend(b, unusedToken, 1).text("status"), "the unused warrant's 10 went back");
        assertEquals("denied", spend(a, startedToken, 1).text("status"), "a call that started stays counted");
        Reply late = fleet.post(b, "/v1/intents/" + unused.text("request_id") + "/execution", unusedToken,
                Map.of("warrant", unused.text("warrant"), "outcome", "started"));
        assertEquals(409, late.status(), late.body().toString());
    }

    @Test
    void aBudgetOutlivesTheReplicasThatCountedIt() {
        String agent = "agent-" + (agents + 1);
        String token = newAgent();
        FleetServer c = fleet.replica("replica-c");
        assertEquals("allow", spend(c, token, 7).text("status"));
        fleet.stop(c);
        FleetServer d = fleet.replica("replica-d");
        Reply denied = spend(d, token, 4);
        assertEquals("denied", denied.text("status"));
        assertTrue(denied.text("reason").contains("7 used by agent " + agent), denied.text("reason"));
        assertEquals("allow", spend(d, token, 3).text("status"));
        fleet.stop(d);
    }

    /** docs/fleet.md, "Fleet windows": its policy starts a replica, and the denial it shows is the one the service gives. */
    @Test
    void theFleetWindowsDocsRunAsDocumented(@TempDir Path dir) throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "fleet.md"));
        String section = doc.substring(doc.indexOf("## Fleet windows and the 1,000-agent load test"));
        int yaml = section.indexOf("```yaml\n") + "```yaml\n".length();
        Path policy = Files.writeString(dir.resolve("policy.yaml"), section.substring(yaml, section.indexOf("```", yaml)));
        int text = section.indexOf("```\n", section.indexOf("```", yaml) + 3) + "```\n".length();
        String documented = section.substring(text, section.indexOf("\n```", text));
        FleetServer docs = FleetServer.start(ServerOptions.parse(List.of("--policy", policy.toString(), "--approvers", fleet.approvers.toString(),
                "--keys", fleet.keys.toString(), "--db", fleet.jdbcUrl(), "--port", "0", "--replica", "docs")));
        try {
            String buyer = newAgent();
            String other = newAgent();
            assertEquals("allow", fleet.post(docs, "/v1/intents", buyer, Map.of("action", "buy", "args", Map.of(), "cost", 4800)).text("status"));
            Reply denied = fleet.post(docs, "/v1/intents", other, Map.of("action", "buy", "args", Map.of(), "cost", 300));
            assertEquals("denied", denied.text("status"));
            String stamp = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z";
            assertTrue(denied.text("reason").matches(java.util.regex.Pattern.quote(documented.replaceAll(stamp, "STAMP")).replace("STAMP", "\\E" + stamp + "\\Q")),
                    denied.text("reason") + " is not as documented: " + documented);
            assertEquals("allow", fleet.post(docs, "/v1/intents", other, Map.of("action", "buy", "args", Map.of(), "cost", 200)).text("status"));
        } finally {
            docs.close();
        }
    }

    @Test
    void aWindowOverOneJvmsAgentsIsRefusedAtStartAtTheRule(@TempDir Path dir) throws IOException {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), """
                default: T1
                policies:
                  - name: "Per JVM"
                    condition: "count_all(1h) > 5"
                    effect: deny
                    reason: "too many"
                """);
        ServerOptions o = ServerOptions.parse(List.of("--policy", policy.toString(), "--approvers", fleet.approvers.toString(),
                "--keys", fleet.keys.toString(), "--db", fleet.jdbcUrl(), "--port", "0"));
        PolicyException e = assertThrows(PolicyException.class, () -> FleetServer.start(o));
        assertTrue(e.getMessage().startsWith(policy + ":3:5: rule 'Per JVM' reads count_all(1h): a window over every agent of one JVM"),
                e.getMessage());
    }
}
