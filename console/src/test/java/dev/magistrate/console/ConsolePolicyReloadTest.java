package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditPayload;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, reloading the policy through the console: over real HTTP on loopback, only an approver with the role
 * policy_admin may, with their personal token (JSON API) or signed in with the page's CSRF token (web); every refusal
 * and every reload is in the audit log on disk.
 */
class ConsolePolicyReloadTest {

    static final String WITH_FREEZE = ConsoleFixture.POLICY + """
              - {name: freeze, condition: "action == 'deploy'", effect: deny, reason: "change freeze"}
            """;

    @TempDir
    Path dir;
    ConsoleFixture h;
    String url;
    String consoleToken;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        h = new ConsoleFixture(dir);
        JsonNode conn = json.readTree(Files.readString(h.consoleFile));
        url = conn.get("url").asText();
        consoleToken = conn.get("token").asText();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private HttpResponse<String> reload(String method, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/api/policy/reload")).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<AuditEvent> events(AuditEventType type) {
        return h.audit().stream().filter(e -> e.type() == type).toList();
    }

    @Test
    void theApiReloadsForAPolicyAdminsPersonalTokenOnlyAndAuditsWhoAsked() throws Exception {
        String v1 = h.governor.policy().version();
        Files.writeString(h.policyFile, WITH_FREEZE);

        assertEquals(401, reload("POST", null, null).statusCode());
        HttpResponse<String> console = reload("POST", consoleToken, null);
        assertEquals(403, console.statusCode(), "the console token only reads: the governed process can read its file");
        assertTrue(console.body().contains("only reads"), console.body());
        HttpResponse<String> bob = reload("POST", h.tokens.get("bob"), null);
        assertEquals(403, bob.statusCode());
        assertTrue(bob.body().contains("bob does not hold the role 'policy_admin'"), bob.body());
        assertEquals(403, reload("POST", "not-a-token-of-anyone", null).statusCode());
        assertEquals(405, reload("GET", h.tokens.get("riya"), null).statusCode());
        assertEquals(400, reload("POST", h.tokens.get("riya"), "{\"client\":\"cli\",\"force\":true}").statusCode());
        assertEquals(v1, h.governor.policy().version(), "nothing was reloaded by a refused request");
        List<String> refusals = h.audit().stream().filter(e -> e.type() == AuditEventType.ACCESS)
                .map(e -> e.fields().get("subject") + ": " + e.fields().get("detail")).toList();
        assertEquals(3, refusals.size(), refusals.toString());
        assertTrue(refusals.get(1).startsWith("bob: policy reload refused: bob does not hold the role"), refusals.toString());

        HttpResponse<String> ok = reload("POST", h.tokens.get("riya"), "{\"client\":\"cli\"}");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode answer = json.readTree(ok.body());
        assertTrue(answer.get("loaded").asBoolean());
        assertEquals(v1, answer.get("previous_version").asText());
        String v2 = h.governor.policy().version();
        assertEquals(v2, answer.get("version").asText());
        assertEquals(4, answer.get("rules").asInt());
        AuditPayload.PolicyLoaded loaded = (AuditPayload.PolicyLoaded) events(AuditEventType.POLICY_LOADED).get(0).payload();
        assertEquals("cli: riya", loaded.trigger());
        assertEquals(v2, loaded.version());

        Files.writeString(h.policyFile, WITH_FREEZE.replace("effect: deny", "effect: deni"));
        HttpResponse<String> bad = reload("POST", h.tokens.get("riya"), null);
        assertEquals(409, bad.statusCode(), bad.body());
        JsonNode refused = json.readTree(bad.body());
        assertFalse(refused.get("loaded").asBoolean());
        assertEquals(v2, refused.get("version").asText(), "the last good version keeps deciding");
        assertTrue(refused.get("error").asText().matches("(?s).*policy\\.yaml:5:\\d+: .*deni.*"), refused.get("error").asText());
        assertEquals(v2, h.governor.policy().version());
        AuditPayload.PolicyRejected rejected = (AuditPayload.PolicyRejected) events(AuditEventType.POLICY_REJECTED).get(0).payload();
        assertEquals("console: riya", rejected.trigger());
        assertEquals(v2, rejected.keptVersion());
    }

    @Test
    void theWebButtonIsAPolicyAdminsAndItsFormNeedsTheSessionsCsrfToken() throws Exception {
        String v1 = h.governor.policy().version();
        Files.writeString(h.policyFile, WITH_FREEZE);
        WebClient bob = new WebClient(url);
        assertEquals(303, bob.signIn("bob", h.passwords.get("bob")).statusCode());
        assertFalse(bob.get("/").body().contains("id=\"reload-policy\""), "no button for who may not use it");
        assertEquals(303, bob.post("/policy/reload", Map.of("csrf", bob.csrf)).statusCode());
        assertTrue(bob.get("/").body().contains("bob does not hold the role"), "the refusal is flashed");
        assertEquals(v1, h.governor.policy().version());

        WebClient riya = new WebClient(url);
        assertEquals(303, riya.signIn("riya", h.passwords.get("riya")).statusCode());
        assertTrue(riya.get("/").body().contains("id=\"reload-policy\""));
        assertEquals(403, riya.post("/policy/reload", Map.of()).statusCode(), "no CSRF token");
        riya.origin = "http://evil.example";
        assertEquals(403, riya.post("/policy/reload", Map.of("csrf", riya.csrf)).statusCode(), "cross-origin");
        assertEquals(v1, h.governor.policy().version());
        riya.origin = url;
        assertEquals(303, riya.post("/policy/reload", Map.of("csrf", riya.csrf)).statusCode());
        assertTrue(riya.get("/").body().contains("policy reloaded: " + v1.substring(0, 12) + " -&gt; "), "the outcome is flashed");
        assertFalse(v1.equals(h.governor.policy().version()));
        assertEquals("console: riya", ((AuditPayload.PolicyLoaded) events(AuditEventType.POLICY_LOADED).get(0).payload()).trigger());
    }
}
