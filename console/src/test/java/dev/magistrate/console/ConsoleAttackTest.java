package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console attacked the way the governed application (same user, can read the console file) or a
 * local client could: real HTTP and raw sockets on loopback, a real governor, the audit log on disk.
 */
class ConsoleAttackTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    ConsoleFixture h;
    String url;
    String consoleToken;
    int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        h = new ConsoleFixture(dir);
        JsonNode conn = JSON.readTree(Files.readString(h.consoleFile));
        url = conn.get("url").asText();
        consoleToken = conn.get("token").asText();
        port = URI.create(url).getPort();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    HttpResponse<String> post(String path, String body, String bearer) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + bearer).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String bearer) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + bearer).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    List<AuditEvent> votes(String intentId) {
        return h.audit().stream().filter(e -> e.intentId().equals(intentId) && e.type() == AuditEventType.VOTE).toList();
    }

    @Test
    void theConsoleFileTokenAndAnotherApproversTokenCannotVote() throws Exception {
        Intent intent = h.intent("restart_service").arg("service", "web").build(); // T2, devops (bob), times out after 3s
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        String votes = "/api/requests/" + intent.id() + "/votes";

        // the application reads the console file and votes as bob with its token
        HttpResponse<String> machine = post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", consoleToken);
        assertEquals(403, machine.statusCode(), machine.body());
        assertTrue(machine.body().contains("only reads"), machine.body());
        // ... with alice's personal token (an approver, but not bob), and with carol's, as bob
        for (String other : List.of("alice", "carol", "ops-agent")) {
            HttpResponse<String> r = post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", h.tokens.get(other));
            assertEquals(403, r.statusCode(), r.body());
            assertTrue(r.body().contains("not bob's personal token"), r.body());
        }
        // ... or denies it, to starve the agent: a deny needs the person too
        assertEquals(403, post(votes, "{\"approver\":\"bob\",\"verdict\":\"deny\"}", consoleToken).statusCode());
        assertEquals(401, post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", "").statusCode());
        // reading still works with the console token; nothing was counted
        JsonNode shown = JSON.readTree(get("/api/requests/" + intent.id(), consoleToken).body());
        assertEquals("pending", shown.get("state").asText());
        assertFalse(pending.isDone());

        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
        DeniedException denied = assertInstanceOf(DeniedException.class, e.getCause());
        assertTrue(denied.getMessage().contains("timed out"), denied.getMessage());

        List<AuditEvent> audited = votes(intent.id());
        assertFalse(audited.isEmpty(), "refused attempts are audited");
        for (AuditEvent v : audited) {
            assertEquals(false, v.fields().get("accepted"), v.toString());
            assertTrue(String.valueOf(v.fields().get("rejection")).contains("personal token"), v.toString());
        }
        String log = h.audit().toString() + Files.readString(h.consoleFile.getParent().resolve("../approvers.yaml").normalize());
        for (String t : h.tokens.values()) assertFalse(log.contains(t), "no personal token in the audit log or the directory");
        assertFalse(h.audit().toString().contains(consoleToken), "the console token is not in the audit log");
        assertTrue(h.audit().stream().anyMatch(ev -> ev.intentId().equals(intent.id()) && ev.type() == AuditEventType.INTENT_TIMED_OUT));
        assertTrue(h.audit().stream().noneMatch(ev -> ev.intentId().equals(intent.id()) && ev.type() == AuditEventType.WARRANT_ISSUED));
    }

    @Test
    void theApproversOwnTokenVotesAndRefusalLoopsAreAuditedBoundedly() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 5).build(); // T2: senior_dev and devops
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        String votes = "/api/requests/" + intent.id() + "/votes";
        for (int i = 0; i < 200; i++) assertEquals(403, post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", consoleToken).statusCode());
        int written = votes(intent.id()).size();
        assertTrue(written >= 1 && written <= 9, "200 refusals are counted; the 1st, 2nd, 4th ... 128th are written: " + written);
        HttpResponse<String> own = post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", h.tokens.get("bob"));
        assertEquals(200, own.statusCode(), own.body());
        assertEquals(200, post(votes, "{\"approver\":\"alice\",\"verdict\":\"approve\"}", h.tokens.get("alice")).statusCode());
        assertEquals(List.of("bob", "alice"), pending.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void totpGuessingIsLockedOutAndTheLogStaysSmall() throws Exception {
        Intent intent = h.intent("raise_budget").arg("amount", 47000).build(); // T3: dave (cfo) and erin, each with a code
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        String votes = "/api/requests/" + intent.id() + "/votes";
        String dave = h.tokens.get("dave");
        java.util.Set<String> valid = new java.util.HashSet<>();
        for (int s = -1; s <= 1; s++) valid.add(dev.magistrate.approval.Totp.code(dev.magistrate.approval.Totp.decodeBase32(ConsoleFixture.DAVE_SECRET),
                dev.magistrate.approval.Totp.step(h.clock.instant()) + s));
        int auditBefore = h.audit().size();
        List<Integer> statuses = new ArrayList<>();
        int guess = 0;
        for (int i = 0; i < 300; i++) {
            String code;
            do {
                code = String.format("%06d", guess++);
            } while (valid.contains(code));
            statuses.add(post(votes, "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"" + code + "\"}", dave).statusCode());
        }
        assertEquals(List.of(200, 200, 200, 200), statuses.subList(0, 4), "four wrong codes are refused as wrong");
        assertTrue(statuses.subList(4, 300).stream().allMatch(s -> s == 429), "from the fifth wrong code on: locked (429) " + statuses);
        int grown = h.audit().size() - auditBefore;
        assertTrue(grown <= 15, "300 guesses add a bounded number of audit entries, not 300: " + grown);
        assertTrue(votes(intent.id()).stream().anyMatch(v -> String.valueOf(v.fields().get("rejection")).contains("5 wrong codes in a row")),
                "the lockout is audited with its count");

        // the right code during the lockout is refused too: nothing is checked while locked
        HttpResponse<String> right = post(votes, "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"" + h.totp(ConsoleFixture.DAVE_SECRET) + "\"}", dave);
        assertEquals(429, right.statusCode(), right.body());
        assertTrue(right.body().contains("locked"), right.body());
        h.clock.advance(Duration.ofSeconds(30));
        assertEquals(429, post(votes, "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"" + h.totp(ConsoleFixture.DAVE_SECRET) + "\"}", dave).statusCode());

        // the console's history of the request is bounded
        JsonNode shown = JSON.readTree(get("/api/requests/" + intent.id(), consoleToken).body());
        assertTrue(shown.get("votes").size() <= RequestRecord.KEEP_VOTES, shown.get("votes").size() + " lines");
        assertTrue(shown.get("votes_not_shown").asLong() > 0);

        // after the lockout (1 minute), dave's right code counts; erin's completes it
        h.clock.advance(Duration.ofSeconds(31));
        HttpResponse<String> after = post(votes, "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"" + h.totp(ConsoleFixture.DAVE_SECRET) + "\"}", dave);
        assertEquals(200, after.statusCode(), after.body());
        assertTrue(JSON.readTree(after.body()).get("accepted").asBoolean(), after.body());
        HttpResponse<String> erin = post(votes, "{\"approver\":\"erin\",\"verdict\":\"approve\",\"totp\":\"" + h.totp(ConsoleFixture.ERIN_SECRET) + "\"}",
                h.tokens.get("erin"));
        assertEquals("granted", JSON.readTree(erin.body()).get("state").asText(), erin.body());
        assertEquals(List.of("dave", "erin"), pending.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void slowClientsDoNotStarveAVote() throws Exception {
        List<Socket> slow = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        for (int i = 0; i < 8; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
            slow.add(s);
        }
        Thread loris = new Thread(() -> {
            byte[] header = ("GET /api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + consoleToken + "\r\nX-Slow: "
                    + "a".repeat(200)).getBytes(StandardCharsets.US_ASCII);
            for (int b = 0; b < header.length && !stop.get(); b++) {
                for (Socket s : slow) {
                    try {
                        s.getOutputStream().write(header[b]);
                        s.getOutputStream().flush();
                    } catch (Exception closed) {
                        // the console hung up on it: fine
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        loris.setDaemon(true);
        loris.start();
        try {
            Thread.sleep(1500); // the slow clients are mid-header
            Intent intent = h.intent("scale_service").arg("instances", 5).build();
            CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
            String votes = "/api/requests/" + intent.id() + "/votes";
            long t0 = System.nanoTime();
            assertEquals(200, post(votes, "{\"approver\":\"alice\",\"verdict\":\"approve\"}", h.tokens.get("alice")).statusCode());
            assertEquals(200, post(votes, "{\"approver\":\"bob\",\"verdict\":\"approve\"}", h.tokens.get("bob")).statusCode());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 2_000, "two votes took " + ms + " ms beside 8 slow clients");
            assertEquals(List.of("alice", "bob"), pending.get(5, TimeUnit.SECONDS).approvedBy());
        } finally {
            stop.set(true);
            loris.interrupt();
            for (Socket s : slow) s.close();
        }
    }

    @Test
    void slowClientsAreCutOffAtTheRequestDeadline() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) ConsoleHttpServer.REQUEST_DEADLINE_MS + 5_000);
            s.getOutputStream().write("GET /api/requests HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(ms <= ConsoleHttpServer.REQUEST_DEADLINE_MS + 1_000, ms + " ms");
        }
    }

    static String raw(int port, String request, byte[] body) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                try {
                    out.write(body);
                } catch (java.io.IOException refusedEarly) {
                    // the console answered and stopped reading
                }
            }
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void oversizedHeadersAndBodiesAreRefusedWithAClearMessage() throws Exception {
        String big = raw(port, "GET /api/requests HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n", null);
        assertTrue(big.startsWith("HTTP/1.1 431"), big);
        assertTrue(big.contains("limited to " + ConsoleHttpServer.MAX_HEADER_BYTES + " bytes"), big);

        StringBuilder many = new StringBuilder("GET /api/requests HTTP/1.1\r\n");
        for (int i = 0; i < 100; i++) many.append("X-H").append(i).append(": 1\r\n");
        assertTrue(raw(port, many.append("\r\n").toString(), null).startsWith("HTTP/1.1 431"));

        Intent intent = h.intent("scale_service").build();
        h.governor.authorizeAsync(intent);
        String body = raw(port, "POST /api/requests/" + intent.id() + "/votes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + h.tokens.get("alice")
                + "\r\nContent-Length: 1000000\r\n\r\n", new byte[200_000]);
        assertTrue(body.startsWith("HTTP/1.1 413"), body);
        assertTrue(body.contains("at most " + ConsoleHttpServer.MAX_BODY_BYTES + " bytes"), body);
        String chunked = raw(port, "POST /api/requests/" + intent.id() + "/votes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", null);
        assertTrue(chunked.startsWith("HTTP/1.1 411"), chunked);
        // and the console still answers
        assertEquals(200, get("/api/health", consoleToken).statusCode());
        assertEquals(1, JSON.readTree(get("/api/requests", consoleToken).body()).size());
    }
}
