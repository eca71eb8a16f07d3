package dev.magistrate.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP to the fleet service's replicas with failover: each request goes to the replica that last answered, and on a
 * connection error, a timeout or a 5xx to the next, in order, until one answers; when none does, {@link Unreachable}
 * names every URL tried and what went wrong. Every request has a bounded connect and read timeout. Answers below 500
 * are returned as they are (a 409 is the service's verdict, not a failure to fail over on).
 */
final class FleetClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** The header naming the replica that answered (its {@code --replica} name). */
    static final String REPLICA_HEADER = "Magistrate-Replica";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> urls;
    private final String token;
    private final HttpClient http;
    private volatile int preferred;

    /** No replica answered: the message names every URL tried and why. */
    static final class Unreachable extends RuntimeException {
        Unreachable(String message) {
            super(message);
        }
    }

    /** An answer: its status, its JSON body, and who gave it ({@code replica-b http://10.0.0.2:8443}). */
    record Reply(int status, JsonNode body, String answeredBy) {
        String text(String field) {
            JsonNode n = body.get(field);
            return n == null || n.isNull() ? null : n.asText();
        }

        String error() {
            String e = text("error");
            return "HTTP " + status + (e == null ? "" : ": " + e) + " (" + answeredBy + ")";
        }
    }

    FleetClient(List<URI> urls, String token) {
        this.urls = List.copyOf(urls);
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    List<URI> urls() {
        return urls;
    }

    /** Sends {@code body} (JSON, or null for a GET) to {@code path} on the first replica that answers within {@code timeout}. */
    Reply send(String path, String body, Duration timeout) {
        List<String> failures = new ArrayList<>();
        int start = preferred;
        for (int i = 0; i < urls.size(); i++) {
            int k = (start + i) % urls.size();
            URI base = urls.get(k);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                    .header("Authorization", "Bearer " + token).header("Accept", "application/json");
            if (body == null) b.GET();
            else b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                String by = r.headers().firstValue(REPLICA_HEADER).map(n -> n + " " + base).orElse(base.toString());
                if (r.statusCode() >= 500) {
                    failures.add(base + ": HTTP " + r.statusCode());
                    continue;
                }
                JsonNode json;
                try {
                    json = JSON.readTree(r.body());
                } catch (IOException e) {
                    failures.add(base + ": HTTP " + r.statusCode() + " without a JSON body");
                    continue;
                }
                if (json == null || !json.isObject()) {
                    failures.add(base + ": HTTP " + r.statusCode() + " without a JSON object");
                    continue;
                }
                preferred = k;
                return new Reply(r.statusCode(), json, by);
            } catch (HttpTimeoutException e) {
                failures.add(base + ": no answer within " + timeout.toSeconds() + " s");
            } catch (IOException e) {
                failures.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unreachable("interrupted while waiting for the fleet service");
            }
        }
        throw new Unreachable("no replica of the fleet service answered (tried " + String.join("; ", failures) + ")");
    }
}
