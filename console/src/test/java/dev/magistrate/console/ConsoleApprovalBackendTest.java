package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The approval console over real HTTP on loopback, driving a real governor with its audit log on disk. */
class ConsoleApprovalBackendTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    ConsoleFixture h;
    String url;
    String token;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        h = new ConsoleFixture(dir);
        Path file = h.consoleFile;
        JsonNode conn = JSON.readTree(Files.readString(file));
        url = conn.get("url").asText();
        token = conn.get("token").asText();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "the token file is the owner's alone");
        assertTrue(url.startsWith("http://127.0.0.1:"), url);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(5)).GET();
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A vote with the personal token of the approver the body names (the console token when it names none). */
    HttpResponse<String> vote(String intentId, String body) throws Exception {
        JsonNode b = null;
        try {
            b = JSON.readTree(body);
        } catch (Exception notJson) {
            // sent as is
        }
        String approver = b != null && b.isObject() && b.path("approver").isTextual() ? b.get("approver").asText() : null;
        return voteAs(intentId, body, h.tokens.getOrDefault(approver, token));
    }

    HttpResponse<String> voteAs(String intentId, String body, String bearer) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/api/requests/" + intentId + "/votes")).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + bearer).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void twoApproversCoveringTheRolesGrantTheCallThroughTheConsole() throws Exception {
        Intent intent = h.intent("scale_service").arg("service", "web").arg("instances", 25).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);

        JsonNode list = JSON.readTree(get("/api/requests", token).body());
        assertEquals(1, list.size());
        JsonNode r = list.get(0);
        assertEquals(intent.id(), r.get("intent_id").asText());
        assertEquals("T2", r.get("tier").asText());
        assertEquals(25, r.get("args").get("instances").asInt());
        assertEquals("[\"senior_dev\",\"devops\"]", r.get("required_roles").toString());

        JsonNode first = JSON.readTree(vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"approve\",\"comment\":\"ok\"}").body());
        assertTrue(first.get("accepted").asBoolean());
        assertEquals("pending", first.get("state").asText());
        assertFalse(pending.isDone());
        JsonNode again = JSON.readTree(vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"approve\"}").body());
        assertFalse(again.get("accepted").asBoolean(), "the same approver twice counts once");
        JsonNode self = JSON.readTree(vote(intent.id(), "{\"approver\":\"ops-agent\",\"verdict\":\"approve\"}").body());
        assertFalse(self.get("accepted").asBoolean(), "the requesting agent cannot approve its own intent");
        JsonNode second = JSON.readTree(vote(intent.id(), "{\"approver\":\"bob\",\"verdict\":\"approve\","
                + "\"constraints\":[{\"argument\":\"instances\",\"max\":25}]}").body());
        assertTrue(second.get("accepted").asBoolean(), second.toString());
        assertEquals("granted", second.get("state").asText());
        Warrant w = pending.get(5, TimeUnit.SECONDS);
        assertEquals(java.util.List.of("alice", "bob"), w.approvedBy());
        assertEquals(0, JSON.readTree(get("/api/requests", token).body()).size(), "nothing waits any more");
        assertEquals(409, vote(intent.id(), "{\"approver\":\"carol\",\"verdict\":\"deny\"}").statusCode());
    }

    @Test
    void anApproverCanApproveWithChangesOrAskForMoreInformation() throws Exception {
        Intent intent = h.intent("scale_service").arg("service", "web").arg("instances", 200).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        assertEquals(400, vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"approve\",\"edits\":{\"instances\":[25]}}").statusCode());
        JsonNode edited = JSON.readTree(vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"approve\",\"edits\":{\"instances\":25}}").body());
        assertTrue(edited.get("accepted").asBoolean(), edited.toString());
        assertEquals(25, JSON.readTree(get("/api/requests/" + intent.id(), token).body()).get("args").get("instances").asInt(),
                "the console shows what approvals are now for");
        JsonNode second = JSON.readTree(vote(intent.id(), "{\"approver\":\"bob\",\"verdict\":\"approve\"}").body());
        assertEquals("granted", second.get("state").asText());
        assertEquals(dev.magistrate.canonical.CanonicalJson.argsDigest(java.util.Map.of("service", "web", "instances", 25)),
                pending.get(5, TimeUnit.SECONDS).argsDigest());

        Intent next = h.intent("scale_service").arg("service", "web").arg("instances", 200).build();
        CompletableFuture<Warrant> asked = h.governor.authorizeAsync(next);
        JsonNode q = JSON.readTree(vote(next.id(), "{\"approver\":\"bob\",\"verdict\":\"more_info\",\"comment\":\"Which graph shows the load?\"}").body());
        assertEquals("needs_information", q.get("state").asText(), q.toString());
        ExecutionException e = assertThrows(ExecutionException.class, () -> asked.get(5, TimeUnit.SECONDS));
        assertEquals("Which graph shows the load?", assertInstanceOf(dev.magistrate.governor.NeedsInformationException.class, e.getCause()).question());
    }

    @Test
    void aDenyWithAReasonReachesTheCaller() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 200).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        JsonNode d = JSON.readTree(vote(intent.id(), "{\"approver\":\"bob\",\"verdict\":\"deny\",\"comment\":\"200 is a DDoS bill; 25 is enough\"}").body());
        assertEquals("denied", d.get("state").asText());
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        DeniedException denied = assertInstanceOf(DeniedException.class, e.getCause());
        assertTrue(denied.getMessage().contains("by approver 'bob': 200 is a DDoS bill; 25 is enough"), denied.getMessage());
    }

    @Test
    void t3VotesNeedAValidTotpCode() throws Exception {
        Intent intent = h.intent("raise_budget").arg("amount", 47000).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        JsonNode noCode = JSON.readTree(vote(intent.id(), "{\"approver\":\"dave\",\"verdict\":\"approve\"}").body());
        assertFalse(noCode.get("accepted").asBoolean());
        JsonNode wrong = JSON.readTree(vote(intent.id(), "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"000000\"}").body());
        assertFalse(wrong.get("accepted").asBoolean());
        String daveCode = h.totp(ConsoleFixture.DAVE_SECRET);
        String erinCode = h.totp(ConsoleFixture.ERIN_SECRET);
        assertTrue(JSON.readTree(vote(intent.id(), "{\"approver\":\"dave\",\"verdict\":\"approve\",\"totp\":\"" + daveCode + "\"}").body())
                .get("accepted").asBoolean());
        assertTrue(JSON.readTree(vote(intent.id(), "{\"approver\":\"erin\",\"verdict\":\"approve\",\"totp\":\"" + erinCode + "\"}").body())
                .get("accepted").asBoolean());
        assertEquals(java.util.List.of("dave", "erin"), pending.get(5, TimeUnit.SECONDS).approvedBy());
    }

    @Test
    void requestsWithoutTheTokenOrWithBadBodiesAreRefused() throws Exception {
        Intent intent = h.intent("scale_service").build();
        h.governor.authorizeAsync(intent);
        assertEquals(401, get("/api/requests", null).statusCode());
        assertEquals(401, get("/api/requests", token + "x").statusCode());
        assertEquals(400, vote(intent.id(), "not json").statusCode());
        assertTrue(vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"maybe\"}").body().contains("verdict is 'approve', 'deny' or 'more_info'"));
        assertTrue(vote(intent.id(), "{\"approver\":\"alice\",\"verdict\":\"approve\",\"sudo\":true}").body().contains("unknown field 'sudo'"));
        assertEquals(400, vote(intent.id(), "{\"verdict\":\"approve\"}").statusCode());
        assertEquals(413, vote(intent.id(), "{\"comment\":\"" + "x".repeat(70_000) + "\"}").statusCode());
        assertEquals(404, vote("no-such-intent", "{\"approver\":\"alice\",\"verdict\":\"approve\"}").statusCode());
        assertEquals(1, JSON.readTree(get("/api/requests", token).body()).size(), "bad requests changed nothing");
    }
}
