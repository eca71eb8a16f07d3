package dev.magistrate.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.AttemptLimiter;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's pages over real HTTP on loopback, with a real governor and the audit log on disk: sign-in, sessions,
 * CSRF, origin checks, rate limits, security headers, live events, and the attacks on each.
 */
class ConsoleWebTest {

    @TempDir
    Path dir;
    ConsoleFixture h;
    String url;
    int port;

    @BeforeEach
    void start() throws Exception {
        h = new ConsoleFixture(dir);
        url = new ObjectMapper().readTree(Files.readString(h.consoleFile)).get("url").asText();
        port = URI.create(url).getPort();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    List<AuditEvent> access() {
        return h.audit().stream().filter(e -> e.type() == AuditEventType.ACCESS).toList();
    }

    WebClient signedIn(String approver) throws Exception {
        WebClient c = new WebClient(url);
        HttpResponse<String> r = c.signIn(approver, h.passwords.get(approver));
        assertEquals(303, r.statusCode(), r.body());
        return c;
    }

    @Test
    void anApproverSignsInSeesTheRequestAndApprovesAsThemselves() throws Exception {
        Intent intent = h.intent("scale_service").arg("service", "web").arg("instances", 25).justification("CPU at 85% for 15 minutes").build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);

        WebClient alice = new WebClient(url);
        assertEquals(303, alice.get("/").statusCode(), "the pages need a session");
        assertEquals("/signin", alice.get("/").headers().firstValue("Location").orElseThrow());
        HttpResponse<String> wrong = alice.signIn("alice", "not her password");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.body().contains(ConsoleSignIn.REFUSED), wrong.body());
        HttpResponse<String> right = alice.signIn("alice", h.passwords.get("alice"));
        assertEquals(303, right.statusCode(), right.body());
        String cookie = right.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.matches(ConsoleSessions.COOKIE + "=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict"), cookie);

        HttpResponse<String> list = alice.get("/");
        assertEquals(200, list.statusCode());
        assertTrue(list.body().contains("scale_service") && list.body().contains("CPU at 85% for 15 minutes"), list.body());
        HttpResponse<String> page = alice.get("/requests/" + intent.id());
        assertTrue(page.body().contains("id=\"approve-form\""), page.body());
        assertFalse(page.body().contains("name=\"approver\""), "the approver is never a form field");

        HttpResponse<String> voted = alice.post("/requests/" + intent.id() + "/vote", Map.of("csrf", alice.csrf, "verdict", "approve", "comment", "ok"));
        assertEquals(303, voted.statusCode(), voted.body());
        assertTrue(alice.get("/requests/" + intent.id()).body().contains("Your approval counted; the request is now pending."));

        WebClient bob = signedIn("bob");
        bob.get("/requests/" + intent.id());
        bob.post("/requests/" + intent.id() + "/vote", Map.of("csrf", bob.csrf, "verdict", "approve"));
        assertEquals(List.of("alice", "bob"), pending.get(5, TimeUnit.SECONDS).approvedBy());

        List<AuditEvent> votes = h.audit().stream().filter(e -> e.intentId().equals(intent.id()) && e.type() == AuditEventType.VOTE).toList();
        assertEquals(List.of("alice", "bob"), votes.stream().map(v -> v.fields().get("approver")).toList());
        List<AuditEvent> signIns = access();
        assertEquals(3, signIns.size(), signIns.toString());
        assertEquals(false, signIns.get(0).fields().get("allowed"));
        assertEquals("alice", signIns.get(0).fields().get("subject"));
        assertEquals(true, signIns.get(1).fields().get("allowed"));
        assertFalse(h.audit().toString().contains(h.passwords.get("alice")), "never the password");
        assertFalse(h.audit().toString().contains("not her password"), "not even a wrong one");

        HttpResponse<String> history = alice.get("/history");
        assertTrue(history.body().contains("warrant ") && history.body().contains("magistrate audit prove " + h.auditDir), history.body());
        assertTrue(history.body().contains("magistrate audit evidence " + h.auditDir + " " + intent.id() + " --keys KEYS_DIR"), history.body());
    }

    @Test
    void aDenialNeedsAReasonAndTheAgentReadsIt() throws Exception {
        Intent intent = h.intent("restart_service").arg("service", "web").build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        WebClient bob = signedIn("bob");
        bob.get("/requests/" + intent.id());
        bob.post("/requests/" + intent.id() + "/vote", Map.of("csrf", bob.csrf, "verdict", "deny", "comment", " "));
        assertTrue(bob.get("/requests/" + intent.id()).body().contains("A denial needs a reason"));
        assertFalse(pending.isDone());
        bob.post("/requests/" + intent.id() + "/vote", Map.of("csrf", bob.csrf, "verdict", "deny", "comment", "not during the sale"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertTrue(assertInstanceOf(DeniedException.class, e.getCause()).getMessage().contains("not during the sale"));
    }

    @Test
    void theRequestingAgentSignedInCannotVoteOnItsOwnRequest() throws Exception {
        Intent intent = h.intent("restart_service").arg("service", "web").build();
        h.governor.authorizeAsync(intent);
        WebClient agent = signedIn("ops-agent");
        HttpResponse<String> page = agent.get("/requests/" + intent.id());
        assertTrue(page.body().contains("the requesting agent can never vote"), page.body());
        assertFalse(page.body().contains("id=\"approve-form\""));
        // forging the form anyway: the engine refuses it
        agent.post("/requests/" + intent.id() + "/vote", Map.of("csrf", agent.csrf, "verdict", "approve"));
        assertTrue(agent.get("/requests/" + intent.id()).body().contains("was not counted: the requesting agent cannot approve its own intent"));
    }

    @Test
    void formsWithoutTheSessionsCsrfTokenOrFromAnotherOriginAreRefused() throws Exception {
        Intent intent = h.intent("restart_service").arg("service", "web").build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        String vote = "/requests/" + intent.id() + "/vote";
        WebClient bob = signedIn("bob");
        WebClient alice = signedIn("alice");
        bob.get("/");
        alice.get("/");

        assertEquals(403, bob.post(vote, Map.of("verdict", "approve")).statusCode(), "no CSRF token");
        assertEquals(403, bob.post(vote, Map.of("csrf", alice.csrf, "verdict", "approve")).statusCode(), "another session's token");
        assertEquals(403, bob.post(vote, Map.of("csrf", bob.csrf.substring(1) + "x", "verdict", "approve")).statusCode(), "a wrong token");
        bob.origin = "http://evil.example";
        assertEquals(403, bob.post(vote, Map.of("csrf", bob.csrf, "verdict", "approve")).statusCode(), "cross-origin");
        bob.origin = "null";
        assertEquals(403, bob.post(vote, Map.of("csrf", bob.csrf, "verdict", "approve")).statusCode(), "opaque origin, no Sec-Fetch-Site");
        bob.origin = null;
        assertEquals(403, bob.post(vote, Map.of("csrf", bob.csrf, "verdict", "approve")).statusCode(), "no origin at all");
        assertFalse(pending.isDone());
        assertTrue(h.audit().stream().noneMatch(e -> e.intentId().equals(intent.id()) && e.type() == AuditEventType.VOTE), "none reached the engine");
        assertTrue(access().stream().anyMatch(e -> String.valueOf(e.fields().get("detail")).contains("cross-origin")));

        // signed out, the old cookie and token are worthless
        bob.origin = url;
        assertEquals(303, bob.post("/signout", Map.of("csrf", bob.csrf)).statusCode());
        WebClient stale = new WebClient(url);
        stale.cookies.put(ConsoleSessions.COOKIE, "x".repeat(43));
        assertEquals("/signin", stale.get("/").headers().firstValue("Location").orElseThrow());
        assertEquals(303, bob.post(vote, Map.of("csrf", bob.csrf, "verdict", "approve")).statusCode());
        assertFalse(pending.isDone());
    }

    @Test
    void aCookieTheServerDidNotIssueIsNeverASessionAndSignInIssuesAFreshOne() throws Exception {
        WebClient victim = new WebClient(url);
        String planted = ConsoleSessions.random();
        victim.cookies.put(ConsoleSessions.COOKIE, planted); // set by an attacker before the victim signs in
        assertEquals(303, victim.get("/").statusCode());
        assertEquals(303, victim.signIn("alice", h.passwords.get("alice")).statusCode());
        assertNotEquals(planted, victim.session());
        WebClient attacker = new WebClient(url);
        attacker.cookies.put(ConsoleSessions.COOKIE, planted);
        assertEquals(303, attacker.get("/").statusCode(), "the planted value got nothing");
        assertEquals(200, victim.get("/").statusCode());
    }

    @Test
    void sessionsExpireWhenIdleAndAfterTwelveHoursInAnyCase() throws Exception {
        WebClient alice = signedIn("alice");
        h.clock.advance(ConsoleSessions.IDLE.minusMinutes(1));
        assertEquals(200, alice.get("/").statusCode());
        h.clock.advance(ConsoleSessions.IDLE.plusSeconds(1));
        assertEquals(303, alice.get("/").statusCode(), "idle too long");

        WebClient bob = signedIn("bob");
        for (Duration used = Duration.ZERO; used.compareTo(ConsoleSessions.ABSOLUTE.minusMinutes(20)) < 0; used = used.plusMinutes(20)) {
            h.clock.advance(Duration.ofMinutes(20));
            assertEquals(200, bob.get("/").statusCode());
        }
        h.clock.advance(Duration.ofMinutes(25));
        assertEquals(303, bob.get("/").statusCode(), "twelve hours are the most, however busy");
    }

    @Test
    void guessingPasswordsLocksTheApproverIdEvenForTheRightPasswordAndIsAudited() throws Exception {
        WebClient guesser = new WebClient(url);
        for (int i = 0; i < AttemptLimiter.MAX_FAILURES; i++) assertEquals(401, guesser.signIn("dave", "guess " + i).statusCode());
        HttpResponse<String> locked = new WebClient(url).signIn("dave", h.passwords.get("dave"));
        assertEquals(401, locked.statusCode(), "locked: even the right password is refused");
        assertTrue(locked.body().contains(ConsoleSignIn.REFUSED), "and the message is the same");
        HttpResponse<String> unknown = new WebClient(url).signIn("mallory", "anything");
        assertEquals(401, unknown.statusCode());
        assertTrue(unknown.body().contains(ConsoleSignIn.REFUSED), "an unknown id reads like a wrong password");
        List<AuditEvent> refusals = access().stream().filter(e -> e.fields().get("allowed").equals(false)).toList();
        assertEquals(AttemptLimiter.MAX_FAILURES + 2, refusals.size(), refusals.toString());
        assertTrue(String.valueOf(refusals.get(AttemptLimiter.MAX_FAILURES - 1).fields().get("detail")).contains("approver id locked until"));
        assertTrue(String.valueOf(refusals.get(AttemptLimiter.MAX_FAILURES).fields().get("detail")).contains("refused unchecked"));

        h.clock.advance(AttemptLimiter.FIRST_LOCKOUT.plusSeconds(1));
        assertEquals(303, new WebClient(url).signIn("dave", h.passwords.get("dave")).statusCode(), "the lock ends");
        assertEquals(303, new WebClient(url).signIn("bob", h.tokens.get("bob")).statusCode(), "a personal token signs in too");
    }

    @Test
    void guessingAcrossManyIdsLocksTheClientAddress() throws Exception {
        for (int i = 0; i < ConsoleSignIn.MAX_FAILURES_PER_ADDRESS; i++) new WebClient(url).signIn("user" + i, "guess");
        assertEquals(401, new WebClient(url).signIn("erin", h.passwords.get("erin")).statusCode());
    }

    @Test
    void pagesCarryTheSecurityHeadersAndTheSignInFormItsOwnCsrfToken() throws Exception {
        WebClient c = new WebClient(url);
        for (String path : List.of("/signin", "/assets/console.js", "/assets/console.css")) {
            HttpResponse<String> r = c.get(path);
            assertEquals(200, r.statusCode(), path);
            assertEquals("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                    r.headers().firstValue("Content-Security-Policy").orElseThrow());
            assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElseThrow());
            assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElseThrow());
            assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow());
        }
        assertFalse(c.get("/signin").body().contains("<script>"), "no inline script");
        // a sign-in posted from elsewhere, or without the form's own token (login CSRF)
        c.get("/signin");
        WebClient other = new WebClient(url);
        assertEquals(403, other.post("/signin", Map.of("csrf", c.csrf, "approver", "alice", "secret", h.passwords.get("alice"))).statusCode());
        c.origin = "http://evil.example";
        assertEquals(403, c.post("/signin", Map.of("csrf", c.csrf, "approver", "alice", "secret", h.passwords.get("alice"))).statusCode());
        // DNS rebinding: a page of another name resolved to 127.0.0.1
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(("GET /signin HTTP/1.1\r\nHost: evil.example:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertTrue(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 421"));
        }
    }

    @Test
    void theListUpdatesLiveAndStreamsAreBoundedWithoutBlockingOtherRequests() throws Exception {
        WebClient alice = signedIn("alice");
        try (Socket events = openEvents(alice)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertEquals("HTTP/1.1 200 OK", status);
            Intent intent = h.intent("restart_service").arg("service", "web").build();
            h.governor.authorizeAsync(intent);
            String line;
            List<String> seen = new ArrayList<>();
            while ((line = in.readLine()) != null && !line.equals("data: " + intent.id())) seen.add(line);
            assertNotNull(line, "the stream announced the new request: " + seen);
            assertTrue(alice.get("/fragments/pending").body().contains(intent.id()));

            // past the request deadline the stream stays open, and normal requests are still served
            Thread.sleep(ConsoleHttpServer.REQUEST_DEADLINE_MS + 500);
            assertEquals(200, alice.get("/").statusCode());
            List<Socket> more = new ArrayList<>();
            try {
                for (int i = 1; i < LiveEvents.MAX_CLIENTS; i++) more.add(openEvents(alice));
                for (Socket s : more) assertEquals("HTTP/1.1 200 OK", new BufferedReader(new InputStreamReader(s.getInputStream())).readLine());
                try (Socket tooMany = openEvents(alice)) {
                    assertTrue(new BufferedReader(new InputStreamReader(tooMany.getInputStream())).readLine().startsWith("HTTP/1.1 503"));
                }
                assertEquals(200, alice.get("/").statusCode());
            } finally {
                for (Socket s : more) s.close();
            }
            h.governor.authorizeAsync(h.intent("restart_service").arg("service", "db").build());
            assertTrue(in.readLine() != null, "the first stream still gets events");
        }
        assertEquals(401, new WebClient(url).get("/events").statusCode(), "no stream without a session");
    }

    @Test
    void anEditKeepsEachArgumentsTypeAndOnlyWhatChanged() {
        List<ConsolePages.Arg> args = ConsolePages.args("{\"dry_run\":true,\"instances\":200,\"service\":\"web\",\"tags\":[\"a\"]}",
                "{\"dry_run\":true,\"instances\":200,\"service\":\"web\",\"tags\":[\"a\"]}");
        assertEquals(Map.of("instances", BigInteger.valueOf(25), "dry_run", false), WebConsole.edits(args,
                Map.of("edit.instances", "25", "edit.dry_run", "false", "edit.service", "web", "edit.tags", "[\"a\"]")));
        assertEquals(Map.of("service", " api "), WebConsole.edits(args, Map.of("edit.service", " api ")), "text as typed");
        assertEquals(Map.of(), WebConsole.edits(args, Map.of("edit.instances", "200")), "unchanged is no edit");
        assertThrows(IllegalArgumentException.class, () -> WebConsole.edits(args, Map.of("edit.instances", "lots")));
        assertThrows(IllegalArgumentException.class, () -> WebConsole.edits(args, Map.of("edit.dry_run", "maybe")));
        assertThrows(IllegalArgumentException.class, () -> WebConsole.edits(args, Map.of("edit.tags", "[\"b\"]")), "lists are not edited");
        List<ConsolePages.Arg> edited = ConsolePages.args("{\"instances\":25}", "{\"instances\":200}");
        assertEquals(new ConsolePages.Arg("instances", "25", "number", "200"), edited.get(0), "requested beside approved");
    }

    private Socket openEvents(WebClient c) throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(15_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nCookie: " + ConsoleSessions.COOKIE + "=" + c.session() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }
}
