package dev.magistrate.server;

import dev.magistrate.approval.Totp;
import dev.magistrate.console.ConsoleSessions;
import dev.magistrate.console.ConsoleSignIn;
import dev.magistrate.server.ConsoleWebClient.Page;
import dev.magistrate.server.FleetFixture.Reply;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet console over HTTP on two replicas of one real PostgreSQL (embedded, once for the class): a person signs in on
 * one replica and votes on the other with the same cookie; forms from elsewhere, a late vote, a wrong token and a missing
 * authenticator code are refused, said plainly, and recorded in {@code refusals}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetConsoleTest {

    FleetFixture fleet;
    FleetServer a;
    FleetServer b;
    String agent;

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        fleet = new FleetFixture(dir);
        a = fleet.replica("replica-a");
        b = fleet.replica("replica-b");
        agent = a.service().enrollAgent("ops-agent");
    }

    @AfterAll
    void stop() throws IOException {
        fleet.close();
    }

    ConsoleWebClient signedIn(FleetServer on, String approver) {
        ConsoleWebClient web = new ConsoleWebClient();
        Page in = web.signIn(on, approver, fleet.approverTokens.get(approver), null);
        assertEquals(303, in.status(), in.body());
        assertEquals("/", in.location());
        return web;
    }

    /** A request that needs one approval (the policy's default, T1). */
    String deployRequest() {
        Reply r = fleet.submit(b, agent, "deploy", Map.of("service", "checkout", "version", "2.4.1"));
        assertEquals("pending", r.text("status"), r.body().toString());
        return r.text("request_id");
    }

    @Test
    void signedInOnReplicaAApproverVotesOnReplicaBWithTheSameCookieAndTheAgentGetsItsWarrant() {
        Reply submitted = fleet.post(a, "/v1/intents", agent, Map.of("action", "scale_service", "args", Map.of("service", "checkout", "instances", 12),
                "justification", "p99 above SLO", "urgency", "high", "cost", 40));
        String id = submitted.text("request_id");

        ConsoleWebClient alice = new ConsoleWebClient();
        Page in = alice.signIn(a, "alice", fleet.approverTokens.get("alice"), null);
        assertEquals(303, in.status(), in.body());
        String setCookie = in.header("Set-Cookie");
        assertTrue(setCookie.matches(ConsoleSessions.COOKIE + "=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict"), setCookie);
        // Only the id's SHA-256 is in the database: a copy of the table is no cookie.
        assertEquals(1, fleet.count("SELECT count(*) FROM sessions WHERE id_sha256 = ? AND approver_id = 'alice'", ConsoleSessions.sha256(alice.session())));
        assertEquals(0, fleet.count("SELECT count(*) FROM sessions WHERE id_sha256 = ? OR csrf = ?", alice.session(), alice.session()));

        Page pending = alice.get(a, "/");
        assertEquals(200, pending.status());
        assertTrue(pending.header("Content-Security-Policy").contains("default-src 'self'"), pending.header("Content-Security-Policy"));
        assertEquals("DENY", pending.header("X-Frame-Options"));
        for (String shown : List.of("scale_service", "ops-agent", "checkout", "12", "p99 above SLO", "high", "40", "T2", "2 approval(s)", id)) {
            assertTrue(pending.body().contains(shown), shown + " on the pending page:\n" + pending.body());
        }

        Page onB = alice.get(b, "/requests/" + id);
        assertEquals(200, onB.status(), "replica B serves the session replica A opened");
        Page voted = alice.post(b, "/requests/" + id + "/vote", Map.of("csrf", onB.csrf(), "verdict", "approve", "comment", "traffic is real"));
        assertEquals(303, voted.status(), voted.body());
        assertEquals("/requests/" + id, voted.location());
        Page after = alice.get(a, "/requests/" + id);
        assertTrue(after.body().contains("Your approval counted; the request is now pending (1 of 2 approvals)."), after.body());
        assertTrue(after.body().contains("approve by alice: traffic is real"), after.body());
        assertEquals(1, fleet.count("SELECT count(*) FROM votes WHERE request_id = ? AND approver_id = 'alice' AND replica = 'replica-b'"
                + " AND credential = 'console session (personal token)'", id));

        assertEquals("approved", fleet.vote(a, id, "bob", "approve").text("state"));
        Reply status = fleet.get(b, "/v1/intents/" + id, agent);
        assertEquals("allow", status.text("status"));
        assertEquals(List.of("alice", "bob"), Warrant.fromJson(status.text("warrant")).approvedBy());
        Page history = alice.get(b, "/history");
        assertTrue(history.body().contains("history-" + id) && history.body().contains("state-approved"), history.body());
        assertFalse(alice.get(a, "/").body().contains("intent-" + id), "an ended request leaves the pending list");
    }

    @Test
    void aVoteFormWithoutTheCsrfTokenOrFromAnotherSiteIsRefusedAndRecorded() {
        String id = deployRequest();
        ConsoleWebClient alice = signedIn(a, "alice");
        String csrf = alice.get(a, "/requests/" + id).csrf();

        Page noToken = alice.post(b, "/requests/" + id + "/vote", Map.of("verdict", "approve"));
        assertEquals(403, noToken.status());
        assertTrue(noToken.body().contains("missing or wrong CSRF token"), noToken.body());
        Page otherSite = alice.post(b, "/requests/" + id + "/vote", Map.of("csrf", csrf, "verdict", "approve"), "http://evil.example");
        assertEquals(403, otherSite.status());
        assertTrue(otherSite.body().contains("cross-origin request (Origin http://evil.example)"), otherSite.body());
        Page noOrigin = alice.post(a, "/requests/" + id + "/vote", Map.of("csrf", csrf, "verdict", "approve"), null);
        assertEquals(403, noOrigin.status(), "no Origin, no Sec-Fetch-Site, no Referer: not provably ours");
        Page signOutElsewhere = alice.post(a, "/signout", Map.of("csrf", csrf), "http://evil.example");
        assertEquals(403, signOutElsewhere.status());

        assertEquals("pending", fleet.get(a, "/v1/intents/" + id, agent).text("state"));
        assertEquals(0, fleet.count("SELECT count(*) FROM votes WHERE request_id = ?", id));
        assertEquals(3, fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /requests/{id}/vote' AND subject = ? AND principal = 'alice'"
                + " AND status = 403 AND reason LIKE 'form refused: %'", id));
        assertEquals(200, alice.get(a, "/").status(), "the session survives refused forms");
    }

    @Test
    void theSignInFormFromAnotherSiteIsRefused() {
        ConsoleWebClient web = new ConsoleWebClient();
        String csrf = web.get(a, "/signin").csrf();
        Page forged = web.post(a, "/signin", Map.of("csrf", csrf, "approver", "alice", "secret", fleet.approverTokens.get("alice")), "http://evil.example");
        assertEquals(403, forged.status());
        assertNull(web.session());
        Page noToken = new ConsoleWebClient().post(a, "/signin", Map.of("approver", "alice", "secret", fleet.approverTokens.get("alice")));
        assertEquals(403, noToken.status());
    }

    @Test
    void aLateVoteFromThePageSaysTheRequestAlreadyEnded() {
        String id = deployRequest();
        ConsoleWebClient alice = signedIn(a, "alice");
        String csrf = alice.get(a, "/requests/" + id).csrf(); // the page was open while bob approved through the API
        assertEquals("approved", fleet.vote(b, id, "bob", "approve").text("state"));

        Page late = alice.post(a, "/requests/" + id + "/vote", Map.of("csrf", csrf, "verdict", "deny", "comment", "not now"));
        assertEquals(303, late.status());
        Page page = alice.get(a, "/requests/" + id);
        assertTrue(page.body().contains("Your denial was not counted: late vote: the request is already approved"), page.body());
        assertTrue(page.body().contains("This request is no longer waiting: approved."), page.body());
        assertEquals(1, fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /requests/{id}/vote' AND subject = ? AND status = 409", id));
        assertEquals("allow", fleet.get(a, "/v1/intents/" + id, agent).text("status"), "the verdict stands");
    }

    @Test
    void aDenialFromThePageNeedsAReasonAndEndsTheRequestForTheAgent() {
        String id = deployRequest();
        ConsoleWebClient carol = signedIn(b, "carol");
        String csrf = carol.get(b, "/requests/" + id).csrf();
        carol.post(b, "/requests/" + id + "/vote", Map.of("csrf", csrf, "verdict", "deny"));
        assertTrue(carol.get(b, "/requests/" + id).body().contains("A denial needs a reason: the agent reads it."));
        carol.post(b, "/requests/" + id + "/vote", Map.of("csrf", csrf, "verdict", "deny", "comment", "freeze week"));
        Reply status = fleet.get(a, "/v1/intents/" + id, agent);
        assertEquals("denied", status.text("status"));
        assertEquals("denied by carol: freeze week", status.text("reason"));
    }

    @Test
    void aWrongTokenIsRefusedWithoutSayingWhichPartWasWrongAndRecorded() {
        ConsoleWebClient web = new ConsoleWebClient();
        Page wrong = web.signIn(a, "alice", fleet.approverTokens.get("bob"), null);
        assertEquals(401, wrong.status());
        assertTrue(wrong.body().contains(ConsoleSignIn.REFUSED_TOKEN), wrong.body());
        assertNull(web.session());
        assertEquals(1, fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /signin' AND principal = 'alice' AND status = 401"));
        Page unknown = web.signIn(b, "mallory", fleet.approverTokens.get("bob"), null);
        assertTrue(unknown.body().contains(ConsoleSignIn.REFUSED_TOKEN), "an unknown id reads the same");
        assertEquals(1, fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /signin' AND principal = 'mallory' AND status = 401"));
        assertEquals(0, fleet.count("SELECT count(*) FROM refusals WHERE reason LIKE ?", "%" + fleet.approverTokens.get("bob") + "%"),
                "the token is never written down");

        assertEquals(303, web.get(a, "/").status(), "not signed in: to the sign-in page");
        assertEquals("/signin", web.get(a, "/").location());
        assertEquals(401, web.get(b, "/fragments/pending").status());
    }

    @Test
    void anApproverWhomTheDirectoryGivesAnAuthenticatorNeedsItsCodeToSignIn() {
        ConsoleWebClient web = new ConsoleWebClient();
        Page tokenOnly = web.signIn(a, "dana", fleet.approverTokens.get("dana"), null);
        assertEquals(401, tokenOnly.status());
        assertTrue(tokenOnly.body().contains("an authenticator code is required for dana"), tokenOnly.body());
        Page wrongCode = web.signIn(a, "dana", fleet.approverTokens.get("dana"), "000000".equals(code()) ? "111111" : "000000");
        assertEquals(401, wrongCode.status());
        assertNull(web.session());
        assertEquals(2, fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /signin' AND principal = 'dana'"));
        Page in = web.signIn(b, "dana", fleet.approverTokens.get("dana"), code());
        assertEquals(303, in.status(), in.body());
        assertEquals(1, fleet.count("SELECT count(*) FROM sessions WHERE approver_id = 'dana' AND how = 'personal token and TOTP'"));
    }

    /** The README's Fleet section: its service commands parse, and the agents pin the warrant keys the service serves. */
    @Test
    void theReadmesFleetCommandsParseAndPinTheKeysTheServiceServes() throws IOException {
        String readme = java.nio.file.Files.readString(Path.of("..", "README.md"));
        String fleetSection = readme.substring(readme.indexOf("### Fleet"), readme.indexOf("## Layout"));
        List<String> commands = fleetSection.lines().filter(l -> l.startsWith("java -jar server/target/magistrate-server.jar ")).toList();
        assertEquals(3, commands.size(), "two agents enrolled, one service started");
        for (String command : commands) {
            String args = command.substring("java -jar server/target/magistrate-server.jar ".length()).replaceAll(" > \\S+$", "");
            ServerOptions o = ServerOptions.parse(List.of(args.split(" ")));
            assertEquals(Path.of("fleet-data"), o.dataDir(), command);
        }
        // The agents pin the keys the service serves, saved by the README's curl line under the name they are given.
        java.util.regex.Matcher fetched = java.util.regex.Pattern.compile("curl -s http://127\\.0\\.0\\.1:8443(/v1/keys/warrant) > (\\S+)").matcher(fleetSection);
        assertTrue(fetched.find(), "the README fetches the service's warrant keys");
        assertEquals(2, fleetSection.split(java.util.regex.Pattern.quote("-Dmagistrate.fleet.key=" + fetched.group(2)), -1).length - 1,
                "both agents pin the fetched keys");
        var keys = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new ConsoleWebClient().get(a, fetched.group(1)).body()).path("keys");
        String active = a.service().warrantKeys().signingKey(dev.magistrate.keys.SignatureAlgorithm.ED25519).keyId();
        assertEquals(active, keys.path(0).path("key_id").asText(), "the route serves the service's active warrant key");
    }

    private static String code() {
        return Totp.codeAt(Totp.decodeBase32(FleetFixture.TOTP_SECRET), Instant.now());
    }

    @Test
    void aSessionEndsAfterThirtyIdleMinutesOrTwelveHoursAndThePolledListDoesNotKeepItAlive() {
        ConsoleWebClient idle = signedIn(a, "carol");
        String hash = ConsoleSessions.sha256(idle.session());
        shift("last_used", "29 minutes", hash);
        assertEquals(200, idle.get(b, "/fragments/pending").status(), "still within 30 minutes");
        assertEquals(1, fleet.count("SELECT count(*) FROM sessions WHERE id_sha256 = ? AND last_used < clock_timestamp() - interval '28 minutes'", hash),
                "the page's own polling is not use");
        shift("last_used", "2 minutes", hash);
        assertEquals(401, idle.get(b, "/fragments/pending").status());
        assertEquals("/signin", idle.get(a, "/").location());

        ConsoleWebClient busy = signedIn(b, "carol");
        String busyHash = ConsoleSessions.sha256(busy.session());
        shift("created_at", "11 hours 59 minutes", busyHash);
        assertEquals(200, busy.get(a, "/").status(), "used all along, within 12 hours");
        shift("created_at", "2 minutes", busyHash);
        assertEquals("/signin", busy.get(a, "/").location(), "12 hours after sign-in, however busy");
    }

    /** Moves a session's time stamp into the past, as if that much time had gone by on the database's clock. */
    private void shift(String column, String interval, String idSha256) {
        assertEquals(1, fleet.count("WITH moved AS (UPDATE sessions SET " + column + " = " + column + " - interval '" + interval + "'"
                + " WHERE id_sha256 = ? RETURNING 1) SELECT count(*) FROM moved", idSha256));
    }

    @Test
    void signingOutOnOneReplicaEndsTheSessionOnEvery() {
        ConsoleWebClient bob = signedIn(a, "bob");
        String session = bob.session();
        Page out = bob.post(b, "/signout", Map.of("csrf", bob.get(b, "/").csrf()));
        assertEquals(303, out.status());
        assertNull(bob.session(), "the cookie is cleared");
        assertEquals(0, fleet.count("SELECT count(*) FROM sessions WHERE id_sha256 = ?", ConsoleSessions.sha256(session)));
        bob.cookies.put(ConsoleSessions.COOKIE, session); // a copy kept from before
        assertEquals(303, bob.get(a, "/").status());

        ConsoleWebClient again = signedIn(a, "bob");
        assertNotNull(again.session());
        assertFalse(again.session().equals(session), "a new id at every sign-in");
    }
}
