package dev.magistrate.samples.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Talks to Magistrate's approval console the way any approver's tool would: HTTP on loopback. Reading
 * uses the bearer token from the console file; a vote uses the personal token of the approver it is
 * cast as (the console file's token cannot vote). Nothing here is Magistrate code.
 */
final class ConsoleClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private final String token;

    private ConsoleClient(String url, String token) {
        this.url = url;
        this.token = token;
    }

    /** Waits for the agent to write the console file (it does so while the JVM starts). */
    static ConsoleClient connect(Path file, Duration wait) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(wait);
        while (!Files.exists(file)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("no approval console file at " + file + ": is the agent running with approvals: console?");
            }
            Thread.sleep(50);
        }
        JsonNode conn = JSON.readTree(Files.readString(file));
        return new ConsoleClient(conn.get("url").asText(), conn.get("token").asText());
    }

    /** Where people open the console in a browser. */
    String url() {
        return url;
    }

    JsonNode pending() throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url + "/api/requests")).GET(), token);
    }

    JsonNode vote(String intentId, String approver, String personalToken, boolean approve, String comment, String totp)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("approver", approver).put("verdict", approve ? "approve" : "deny");
        if (comment != null) body.put("comment", comment);
        if (totp != null) body.put("totp", totp);
        return send(HttpRequest.newBuilder(URI.create(url + "/api/requests/" + intentId + "/votes"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))), personalToken == null ? "" : personalToken);
    }

    private JsonNode send(HttpRequest.Builder b, String bearer) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
