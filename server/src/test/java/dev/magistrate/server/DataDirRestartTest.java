package dev.magistrate.server;

import dev.magistrate.server.FleetFixture.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --data-dir: the service starts its own embedded PostgreSQL in the directory, and a restart (the database stopped and
 * started again) finds the agent, its token and its pending request as they were.
 */
class DataDirRestartTest {

    @Test
    void aServiceRestartedOnItsDataDirectoryKeepsAgentsAndRequests(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("policy.yaml");
        try (InputStream in = DataDirRestartTest.class.getResourceAsStream("/fleet-policy.yaml")) {
            Files.write(policy, in.readAllBytes());
        }
        Path approvers = dir.resolve("approvers.yaml");
        Files.writeString(approvers, "approvers:\n  - id: alice\n    roles: [sre]\n");
        List<String> args = List.of("--policy", policy.toString(), "--approvers", approvers.toString(), "--keys", dir.resolve("keys").toString(),
                "--data-dir", dir.resolve("data").toString(), "--port", "0", "--replica", "solo");
        String token;
        String id;
        try (FleetServer first = FleetServer.start(ServerOptions.parse(args))) {
            token = first.service().enrollAgent("ops-agent");
            HttpResponse<String> r = post(first, token, "{\"action\":\"scale_service\",\"args\":{\"instances\":4}}");
            assertEquals(200, r.statusCode(), r.body());
            id = FleetFixture.JSON.readTree(r.body()).path("request_id").asText();
        }
        try (FleetServer again = FleetServer.start(ServerOptions.parse(args))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + again.port()
                    + "/v1/intents/" + id)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Reply status = new Reply(r.statusCode(), FleetFixture.JSON.readTree(r.body()));
            assertEquals("pending", status.text("state"));
            assertEquals("scale_service", status.text("action"));
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> again.service().enrollAgent("ops-agent"));
            assertTrue(twice.getMessage().contains("already enrolled"), twice.getMessage());
        }
    }

    private static HttpResponse<String> post(FleetServer to, String token, String json) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + "/v1/intents"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
