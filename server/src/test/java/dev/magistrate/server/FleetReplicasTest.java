package dev.magistrate.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.magistrate.approval.Totp;
import dev.magistrate.server.FleetFixture.Reply;
import dev.magistrate.warrant.Warrant;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two replicas of the service on one real PostgreSQL (embedded, started once for the class): votes through either,
 * races between replicas and with the timeout, single-use warrants across replicas, a restart, and refusals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetReplicasTest {

    FleetFixture fleet;
    FleetServer a;
    FleetServer b;
    String agent;
    String otherAgent;
    final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        fleet = new FleetFixture(dir);
        a = fleet.replica("replica-a");
        b = fleet.replica("replica-b");
        agent = a.service().enrollAgent("ops-agent");
        otherAgent = b.service().enrollAgent("billing-agent");
    }

    @AfterAll
    void stop() throws IOException {
        pool.shutdownNow();
        fleet.close();
    }

    @Test
    void aReadIsAllowedAtOnceWithAWarrantAnyoneCanCheckWithTheServicesPublicKey() {
        Reply r = fleet.submit(a, agent, "read_metrics", Map.of("service", "api"));
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("allow", r.text("status"));
        Warrant w = Warrant.fromJson(r.text("warrant"));
        assertEquals("read_metrics", w.action());
        assertEquals(r.text("request_id"), w.intentId());

        // Another system: only the public key from GET /v1/keys/warrant (asked of the other replica) and Ed25519.
        JsonNode key = fleet.get(b, "/v1/keys/warrant", null).body().path("keys").get(0);
        assertEquals(w.keyId(), key.path("key_id").asText());
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(Base64.getUrlDecoder().decode(key.path("public_key").asText()), 0));
        byte[] signed = w.signingInput();
        verifier.update(signed, 0, signed.length);
        assertTrue(verifier.verifySignature(w.signature()), "the warrant's signature verifies with the published key");

        Reply ok = fleet.post(b, "/v1/warrants/verify", agent, Map.of("warrant", r.text("warrant")));
        assertEquals(true, ok.body().path("valid").asBoolean(), ok.body().toString());
        Reply otherArgs = fleet.post(b, "/v1/warrants/verify", agent, Map.of("warrant", r.text("warrant"), "args", Map.of("service", "db")));
        assertEquals(false, otherArgs.body().path("valid").asBoolean());
        assertEquals("args_mismatch", otherArgs.text("reason"));
        String forged = r.text("warrant").replace("read_metrics", "drop_table");
        Reply bad = fleet.post(b, "/v1/warrants/verify", agent, Map.of("warrant", forged, "args", Map.of("service", "api")));
        assertEquals("bad_signature", bad.text("reason"), bad.body().toString());
    }

    @Test
    void aDeniedIntentSaysWhichRuleAndWhy() {
        Reply r = fleet.submit(b, agent, "drop_table", Map.of("table", "users"));
        assertEquals("denied", r.text("status"));
        assertEquals("No DROP", r.text("rule"));
        assertEquals("Dropping tables is never done by an agent.", r.text("reason"));
        assertEquals("denied", fleet.get(a, "/v1/intents/" + r.text("request_id"), agent).text("status"));
    }

    @Test
    void votesThroughEitherReplicaCountTowardOneRequestAndAWaitingAgentLearnsAtOnce() throws Exception {
        String id = fleet.submit(a, agent, "scale_service", Map.of("instances", 20)).text("request_id");
        Reply first = fleet.vote(a, id, "alice", "approve");
        assertEquals(200, first.status(), first.body().toString());
        assertEquals("pending", first.text("state"));
        Future<Reply> waiting = pool.submit(() -> fleet.get(a, "/v1/intents/" + id + "?wait=30", agent));
        Thread.sleep(300); // the long poll is waiting (if not yet, it returns at once anyway: the outcome is the same)
        Reply second = fleet.vote(b, id, "bob", "approve");
        assertEquals("approved", second.text("state"), second.body().toString());
        Reply status = waiting.get(60, TimeUnit.SECONDS);
        assertEquals("allow", status.text("status"), status.body().toString());
        assertEquals(List.of("alice", "bob"), Warrant.fromJson(status.text("warrant")).approvedBy());
        assertEquals(1, fleet.count("SELECT count(*) FROM warrants WHERE request_id = ?", id));
        Reply late = fleet.vote(a, id, "carol", "deny");
        assertEquals(409, late.status());
        assertTrue(late.text("error").contains("late vote"), late.text("error"));
    }

    @Test
    void twoVotesRacingOnTwoReplicasForTheLastApprovalEndInExactlyOneFinalState() throws Exception {
        int approved = 0;
        int denied = 0;
        for (int round = 0; round < 20; round++) {
            String id = fleet.submit(round % 2 == 0 ? a : b, agent, "scale_service", Map.of("instances", round)).text("request_id");
            assertEquals(200, fleet.vote(a, id, "alice", "approve").status());
            String rival = round % 2 == 0 ? "approve" : "deny";
            CyclicBarrier together = new CyclicBarrier(2);
            Future<Reply> viaA = pool.submit(racer(together, () -> fleet.vote(a, id, "bob", "approve")));
            Future<Reply> viaB = pool.submit(racer(together, () -> fleet.vote(b, id, "carol", rival)));
            Reply ra = viaA.get(60, TimeUnit.SECONDS);
            Reply rb = viaB.get(60, TimeUnit.SECONDS);
            assertEquals(1, (ra.status() == 200 ? 1 : 0) + (rb.status() == 200 ? 1 : 0), "one vote counted: " + ra + " " + rb);
            Reply loser = ra.status() == 200 ? rb : ra;
            assertEquals(409, loser.status(), loser.body().toString());
            String state = fleet.get(b, "/v1/intents/" + id, agent).text("state");
            long warrants = fleet.count("SELECT count(*) FROM warrants WHERE request_id = ?", id);
            assertEquals(2, fleet.count("SELECT count(*) FROM votes WHERE request_id = ?", id), "alice's vote and the winner's");
            if (state.equals("approved")) {
                approved++;
                assertEquals(1, warrants);
            } else {
                assertEquals("denied", state);
                assertEquals(0, warrants);
                assertEquals("carol", fleet.get(a, "/v1/intents/" + id, agent).text("decided_by"));
                denied++;
            }
        }
        assertEquals(20, approved + denied);
        System.out.println("racing votes: " + approved + " rounds approved, " + denied + " denied");
    }

    @Test
    void aVoteRacingTheTimeoutEndsInExactlyOneFinalState() throws Exception {
        List<Future<String>> rounds = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            int jitterMs = round * 40 - 120; // votes from 120 ms before the deadline to 80 ms after it
            rounds.add(pool.submit(() -> raceTheTimeout(jitterMs)));
        }
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : rounds) {
            String state = f.get(60, TimeUnit.SECONDS);
            assertTrue(state.equals("approved") || state.equals("timed_out"), state);
            outcomes.add(state);
        }
        System.out.println("vote vs timeout, votes from 120 ms before to 80 ms after the deadline: " + outcomes);
    }

    private String raceTheTimeout(int jitterMs) throws Exception {
        String id = fleet.submit(a, agent, "restart_service", Map.of("service", "api", "jitter", jitterMs)).text("request_id");
        Instant deadline = Instant.parse(fleet.get(a, "/v1/intents/" + id, agent).text("deadline"));
        long sleep = Duration.between(Instant.now(), deadline).toMillis() + jitterMs;
        if (sleep > 0) Thread.sleep(sleep);
        Future<Integer> sweep = pool.submit(() -> a.service().expireDue());
        Reply vote = fleet.vote(b, id, "alice", "approve");
        sweep.get(30, TimeUnit.SECONDS);
        Reply status = fleet.get(b, "/v1/intents/" + id + "?wait=10", agent);
        String state = status.text("state");
        long warrants = fleet.count("SELECT count(*) FROM warrants WHERE request_id = ?", id);
        long votes = fleet.count("SELECT count(*) FROM votes WHERE request_id = ?", id);
        if (vote.status() == 200) {
            assertEquals("approved", state, status.body().toString());
            assertEquals(1, warrants);
            assertEquals(1, votes);
        } else {
            assertEquals(409, vote.status(), vote.body().toString());
            assertEquals("timed_out", state, status.body().toString());
            assertEquals(0, warrants);
            assertEquals(0, votes, "a refused vote leaves no row");
        }
        return state;
    }

    @Test
    void aWarrantConsumedOnOneReplicaIsRefusedAsAReplayOnTheOther() throws Exception {
        for (int round = 0; round < 10; round++) {
            Reply r = fleet.submit(a, agent, "read_metrics", Map.of("round", round));
            String id = r.text("request_id");
            Map<String, Object> report = Map.of("warrant", r.text("warrant"), "outcome", "succeeded",
                    "result_digest", "sha256:" + "ab".repeat(32));
            CyclicBarrier together = new CyclicBarrier(2);
            Future<Reply> viaA = pool.submit(racer(together, () -> fleet.post(a, "/v1/intents/" + id + "/execution", agent, report)));
            Future<Reply> viaB = pool.submit(racer(together, () -> fleet.post(b, "/v1/intents/" + id + "/execution", agent, report)));
            Reply ra = viaA.get(60, TimeUnit.SECONDS);
            Reply rb = viaB.get(60, TimeUnit.SECONDS);
            assertEquals(1, (ra.status() == 200 ? 1 : 0) + (rb.status() == 200 ? 1 : 0), ra + " " + rb);
            Reply replay = ra.status() == 200 ? rb : ra;
            assertEquals(409, replay.status());
            assertTrue(replay.text("error").contains("replayed"), replay.text("error"));
            assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ?", id));
            assertTrue(fleet.count("SELECT count(*) FROM refusals WHERE subject = ? AND status = 409 AND reason LIKE '%replayed%'", id) >= 1,
                    "the replay is recorded");
            Reply verify = fleet.post(a, "/v1/warrants/verify", agent, Map.of("warrant", r.text("warrant")));
            assertEquals("replayed", verify.text("reason"));
        }
    }

    @Test
    void anExecutionReportedAsStartedIsConfirmedOnceAndNeverRunsAgain() {
        Reply r = fleet.submit(b, agent, "read_metrics", Map.of("service", "started-then-confirmed"));
        String path = "/v1/intents/" + r.text("request_id") + "/execution";
        assertEquals("consumed", fleet.post(a, path, agent, Map.of("warrant", r.text("warrant"), "outcome", "started")).text("status"));
        assertEquals(409, fleet.post(b, path, agent, Map.of("warrant", r.text("warrant"), "outcome", "started")).status(), "no second start");
        assertEquals("confirmed", fleet.post(b, path, agent, Map.of("warrant", r.text("warrant"), "outcome", "failed")).text("status"));
        assertEquals(409, fleet.post(a, path, agent, Map.of("warrant", r.text("warrant"), "outcome", "succeeded")).status(), "confirmed once");
        assertEquals(404, fleet.post(a, path, otherAgent, Map.of("warrant", r.text("warrant"), "outcome", "succeeded")).status(),
                "another agent's intent is not found");
    }

    @Test
    void anMfaRequestCountsAVoteOnlyWithTheApproversTotpCodeUsedOnceAcrossReplicas() {
        String id = fleet.submit(a, agent, "pay_invoice", Map.of("invoice", "INV-7")).text("request_id");
        Reply without = fleet.vote(b, id, "dana", "approve");
        assertEquals(403, without.status(), without.body().toString());
        assertEquals("totp", without.text("field"));
        Reply alice = fleet.vote(b, id, "alice", "approve");
        assertEquals(403, alice.status(), "alice has no TOTP secret enrolled");
        String code = Totp.codeAt(Totp.decodeBase32(FleetFixture.TOTP_SECRET), Instant.now());
        Reply with = fleet.post(b, "/v1/requests/" + id + "/votes", fleet.approverTokens.get("dana"),
                Map.of("approver", "dana", "verdict", "approve", "totp", code));
        assertEquals("approved", with.text("state"), with.body().toString());

        // The same code on the other replica, for another request: that replica never saw it, the database did.
        String next = fleet.submit(a, agent, "pay_invoice", Map.of("invoice", "INV-8")).text("request_id");
        Reply reused = fleet.post(a, "/v1/requests/" + next + "/votes", fleet.approverTokens.get("dana"),
                Map.of("approver", "dana", "verdict", "approve", "totp", code));
        assertEquals(403, reused.status(), reused.body().toString());
        assertTrue(reused.text("error").contains("already used"), reused.text("error"));
        assertEquals("pending", fleet.get(a, "/v1/intents/" + next, agent).text("state"));
    }

    @Test
    void aRestartedReplicaFindsEveryRequestWhereItWas() throws IOException {
        FleetServer c = fleet.replica("replica-c");
        String id = fleet.submit(c, agent, "scale_service", Map.of("instances", 3)).text("request_id");
        assertEquals(200, fleet.vote(c, id, "alice", "approve").status());
        fleet.stop(c);
        FleetServer again = fleet.replica("replica-c");
        Reply status = fleet.get(again, "/v1/intents/" + id, agent);
        assertEquals("pending", status.text("state"));
        assertEquals(List.of("alice"), FleetFixture.JSON.convertValue(status.body().path("approved_by"), List.class));
        assertEquals(409, fleet.vote(again, id, "alice", "approve").status(), "alice's vote was kept: a second one is refused");
        assertEquals("approved", fleet.vote(again, id, "bob", "approve").text("state"));
    }

    @Test
    void missingOrWrongCredentialsAre401AndBadInputIs400NamingTheField() throws IOException {
        long before = fleet.count("SELECT count(*) FROM refusals");
        Reply none = fleet.post(a, "/v1/intents", null, Map.of("action", "read_metrics"));
        assertEquals(401, none.status());
        assertEquals(401, fleet.post(a, "/v1/intents", "mgt_not-a-token", Map.of("action", "read_metrics")).status());
        assertEquals(401, fleet.get(b, "/v1/intents/anything", "mgt_not-a-token").status());
        String id = fleet.submit(a, agent, "scale_service", Map.of("instances", 1)).text("request_id");
        Reply wrongPersonalToken = fleet.post(a, "/v1/requests/" + id + "/votes", fleet.approverTokens.get("bob"),
                Map.of("approver", "alice", "verdict", "approve"));
        assertEquals(401, wrongPersonalToken.status(), "bob's token does not vote as alice");
        assertEquals(401, fleet.post(a, "/v1/requests/" + id + "/votes", agent, Map.of("approver", "alice", "verdict", "approve")).status(),
                "an agent token is not an approver's credential");
        assertEquals(0, fleet.count("SELECT count(*) FROM votes WHERE request_id = ?", id));

        assertField(fleet.post(a, "/v1/intents", agent, "{\"action\": "), "body");
        assertField(fleet.post(a, "/v1/intents", agent, Map.of("args", Map.of())), "action");
        assertField(fleet.post(a, "/v1/intents", agent, Map.of("action", "x", "args", List.of(1))), "args");
        assertField(fleet.post(a, "/v1/intents", agent, Map.of("action", "x", "cost", "cheap")), "cost");
        assertField(fleet.post(a, "/v1/intents", agent, Map.of("action", "x", "colour", "red")), "colour");
        assertField(fleet.get(a, "/v1/intents/" + id + "?wait=600", agent), "wait");
        assertField(fleet.post(a, "/v1/requests/" + id + "/votes", fleet.approverTokens.get("alice"), Map.of("approver", "alice", "verdict", "maybe")), "verdict");
        assertField(fleet.post(a, "/v1/intents/" + id + "/execution", agent, Map.of("warrant", "{}", "outcome", "done")), "outcome");
        assertField(fleet.post(a, "/v1/intents/" + id + "/execution", agent, Map.of("warrant", "{}", "outcome", "started")), "warrant");
        assertEquals(403, fleet.post(a, "/v1/intents", agent, Map.of("action", "x", "agent", "billing-agent")).status(), "acting as another agent");
        assertEquals(404, fleet.get(a, "/v1/intents/" + id, otherAgent).status(), "another agent's intent");
        assertEquals(404, fleet.get(a, "/v1/nothing", agent).status());
        assertEquals(405, fleet.get(a, "/v1/warrants/verify", agent).status());
        assertTrue(fleet.count("SELECT count(*) FROM refusals WHERE status = 401 AND route = 'POST /v1/intents'") >= 2);
        assertTrue(fleet.count("SELECT count(*) FROM refusals") - before >= 17, "every refusal is recorded");
        assertEquals(413, rawStatus(a, "POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"));
    }

    @Test
    void thePythonClientGovernsALangChainStyleToolAgainstARealService() throws Exception {
        Assumptions.assumeTrue(onPath("python3"), "python3 is not on the PATH: the Python client (samples/python-client) is NOT tested");
        Path sample = Path.of("..", "samples", "python-client").toAbsolutePath().normalize();
        ProcessBuilder pb = new ProcessBuilder("python3", "example.py").directory(sample.toFile()).redirectErrorStream(true);
        pb.environment().put("MAGISTRATE_URL", "http://127.0.0.1:" + b.port());
        pb.environment().put("MAGISTRATE_TOKEN", agent);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("pending ")) {
                    String id = line.substring("pending ".length()).strip();
                    assertEquals("pending", fleet.vote(a, id, "alice", "approve").text("state"));
                    assertEquals("approved", fleet.vote(b, id, "bob", "approve").text("state"));
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        assertTrue(lines.contains("result: checkout scaled to 12 instances"), String.join("\n", lines));
        assertTrue(lines.contains("denied: Dropping tables is never done by an agent."), String.join("\n", lines));
        String id = lines.stream().filter(l -> l.startsWith("pending ")).findFirst().orElseThrow().substring(8).strip();
        assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ? AND outcome = 'succeeded'"
                + " AND result_digest LIKE 'sha256:%'", id), "the tool ran once, with its warrant spent before and confirmed after");
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(Path.of(d, program))) return true;
        }
        return false;
    }

    /** docs/fleet.md: its policy and approver directory start a replica, the flow its curl examples show works, on routes that exist. */
    @Test
    void theFleetDocsSnippetsRunAsDocumented() throws IOException {
        List<String> lines = java.nio.file.Files.readAllLines(Path.of("..", "docs", "fleet.md"));
        List<String> yaml = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```yaml")) continue;
            StringBuilder sb = new StringBuilder();
            for (i++; !lines.get(i).strip().equals("```"); i++) sb.append(lines.get(i)).append('\n');
            if (!sb.toString().startsWith("# magistrate.yaml")) yaml.add(sb.toString()); // agent configuration: DocSnippetsTest loads it
        }
        assertTrue(yaml.size() >= 2, "a policy and an approver directory, first"); // later sections have their own
        Path docs = fleet.dir.resolve("docs");
        java.nio.file.Files.createDirectories(docs);
        java.nio.file.Files.writeString(docs.resolve("policy.yaml"), yaml.get(0));
        java.nio.file.Files.writeString(docs.resolve("approvers.yaml"), yaml.get(1));
        FleetServer d = FleetServer.start(ServerOptions.parse(List.of("--policy", docs.resolve("policy.yaml").toString(), "--approvers",
                docs.resolve("approvers.yaml").toString(), "--keys", fleet.keys.toString(), "--db", fleet.jdbcUrl(), "--port", "0", "--replica", "docs")));
        try {
            Reply pending = fleet.post(d, "/v1/intents", agent, Map.of("action", "scale_service", "args", Map.of("service", "checkout", "instances", 12),
                    "agent", "ops-agent", "justification", "p99 above SLO", "urgency", "high", "cost", 40));
            assertEquals("pending", pending.text("status"), pending.body().toString());
            String id = pending.text("request_id");
            Reply first = fleet.post(d, "/v1/requests/" + id + "/votes", "test", Map.of("approver", "alice", "verdict", "approve", "comment", "fine"));
            assertEquals(2, first.body().path("required_approvals").asInt(), first.body().toString());
            assertEquals("approved", fleet.post(d, "/v1/requests/" + id + "/votes", "test2", Map.of("approver", "bob", "verdict", "approve")).text("state"));
            String warrant = fleet.get(d, "/v1/intents/" + id + "?wait=30", agent).text("warrant");
            assertEquals("consumed", fleet.post(d, "/v1/intents/" + id + "/execution", agent, Map.of("warrant", warrant, "outcome", "started")).text("status"));
            assertEquals("replayed", fleet.post(d, "/v1/warrants/verify", agent, Map.of("warrant", warrant)).text("reason"));
            assertEquals("allow", fleet.submit(d, agent, "read_metrics", Map.of()).text("status"));
            assertEquals("Dropping tables is never done by an agent.", fleet.submit(d, agent, "drop_table", Map.of()).text("reason"));
        } finally {
            d.close();
        }
        java.util.regex.Matcher urls = java.util.regex.Pattern.compile("http://127\\.0\\.0\\.1:8443(/v1/[^\"?\\s]*)").matcher(String.join("\n", lines));
        int seen = 0;
        while (urls.find()) {
            String path = urls.group(1);
            assertTrue(java.util.Arrays.stream(ApiRoute.values()).anyMatch(r -> r.match(path) != null), "docs/fleet.md: no route " + path);
            seen++;
        }
        assertTrue(seen >= 6, "the curl examples name the routes");
    }

    @Test
    void aReplicaThatLostItsDatabaseDecidesNothingAndGrantsNothing() {
        FleetServer cut = fleet.replica("replica-cut-off");
        cut.database().close(); // its pool is gone: every call it takes fails at the database
        Reply submit = fleet.submit(cut, agent, "read_metrics", Map.of("service", "api"));
        assertEquals(503, submit.status(), submit.body().toString());
        assertTrue(submit.body().path("warrant").isMissingNode(), "no warrant without the database");
        assertTrue(submit.text("error").contains("nothing was decided"), submit.text("error"));
        assertEquals(503, fleet.post(cut, "/v1/requests/any-id/votes", fleet.approverTokens.get("alice"),
                Map.of("approver", "alice", "verdict", "approve")).status());
        fleet.stop(cut);
    }

    private void assertField(Reply r, String field) {
        assertEquals(400, r.status(), r.body().toString());
        assertEquals(field, r.text("field"), r.body().toString());
        assertNotNull(r.text("error"));
    }

    private static int rawStatus(FleetServer to, String head) throws IOException {
        try (Socket s = new Socket("127.0.0.1", to.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    private static <T> Callable<T> racer(CyclicBarrier together, Callable<T> call) {
        return () -> {
            together.await(30, TimeUnit.SECONDS);
            return call.call();
        };
    }
}
