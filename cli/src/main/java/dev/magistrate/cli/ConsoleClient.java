package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import static dev.magistrate.cli.MagistrateCli.UNAVAILABLE;
import static dev.magistrate.cli.MagistrateCli.USAGE;

/**
 * The approval console's HTTP API as the command line uses it (the API is documented on
 * {@code ConsoleApprovalBackend}): reads carry the console token, votes an approver's personal token.
 * No token ever appears in a message this class makes.
 */
final class ConsoleClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One answer of the console; {@code json} is null when the body is not JSON. */
    record Answer(int status, String body, JsonNode json) {

        boolean ok() {
            return status == 200;
        }

        /** What the console said went wrong: its "error" or "rejection" text, else the body itself. */
        String errorText() {
            if (json != null && json.path("error").isTextual()) return json.get("error").asText();
            if (json != null && json.path("rejection").isTextual()) return json.get("rejection").asText();
            return body.isBlank() ? "(no body)" : body.strip();
        }
    }

    private final URI base;
    // HTTP/1.1: the console speaks nothing else; redirects are never followed, so a bearer token goes only where it was sent.
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    ConsoleClient(URI base) {
        this.base = base;
    }

    /** An http(s) URL with a host, without a trailing slash; anything else is a usage error naming {@code source}. */
    static URI parseUrl(String text, String source) {
        URI u;
        try {
            u = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new CliException(source + ": not a URL: " + e.getMessage());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) throw new CliException(source + ": the console URL is http or https, not '" + text + "'");
        if (u.getHost() == null) throw new CliException(source + ": no host in '" + text + "'");
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    URI url() {
        return base;
    }

    /** Plain http to a host other than this machine: a token sent this way can be read on the way. */
    boolean clearTextToRemoteHost() {
        return base.getScheme().equalsIgnoreCase("http") && !isLoopback(base.getHost());
    }

    private static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) return true;
        // Only literal addresses are checked: a name is not looked up (what it resolves to may change).
        if (!host.matches("[0-9.]+|\\[[0-9a-fA-F:.]+]")) return false;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    Answer get(String path, String bearer) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), bearer);
    }

    Answer post(String path, String bearer, JsonNode body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)), bearer);
    }

    private Answer send(HttpRequest.Builder request, String bearer) {
        request.timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
        if (bearer != null) request.header("Authorization", "Bearer " + bearer);
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(UNAVAILABLE, "interrupted while waiting for the console at " + base);
        } catch (IOException e) {
            throw new CliException(UNAVAILABLE, "cannot reach the approval console at " + base + ": " + describe(e));
        }
        String body = new String(r.body(), StandardCharsets.UTF_8);
        JsonNode json;
        try {
            json = body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException notJson) {
            json = null;
        }
        return new Answer(r.statusCode(), body, json);
    }

    private static String describe(IOException e) {
        if (e instanceof HttpTimeoutException) return "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
        if (e instanceof ConnectException) return "connection refused or timed out (is the agent running? the console lives in its process)";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** A bearer token read from a file or the environment: one line of visible ASCII (it goes into a header). */
    static String checkToken(String token, String source) {
        if (token == null || token.isBlank()) throw new CliException(USAGE, source + " is empty");
        String t = token.strip();
        if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) throw new CliException(USAGE, source + " does not hold a token (one line of visible ASCII)");
        return t;
    }
}
