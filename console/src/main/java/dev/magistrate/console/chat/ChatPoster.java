package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.log.MagistrateLog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends chat posts off the caller's thread, on the relay's small executor, each within {@link #TIMEOUT}; a post
 * that fails for a reason that may pass (no connection, 5xx, 429, Slack's {@code ratelimited}) is tried again, at
 * most {@link #ATTEMPTS} times in all, after {@code Retry-After} or a growing delay. A post that finally fails is
 * logged and dropped: the request still waits in the console, so a chat outage never denies an intent.
 */
final class ChatPoster {

    static final int ATTEMPTS = 3;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long MAX_RETRY_AFTER_S = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One post: where, what, with which headers; {@code slack} when the answer is Slack's {@code {"ok": ...}}. */
    record Post(String what, URI url, Map<String, String> headers, byte[] body, boolean slack) {
    }

    private final HttpClient http;
    private final ScheduledExecutorService executor;

    ChatPoster(ScheduledExecutorService executor) {
        this.executor = executor;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Sends {@code post}; {@code onSuccess} receives the answer's JSON (an empty object when it is not JSON). */
    void send(Post post, Consumer<JsonNode> onSuccess) {
        schedule(() -> attempt(post, onSuccess, 1), 0);
    }

    private void attempt(Post post, Consumer<JsonNode> onSuccess, int attempt) {
        long retryAfterS;
        String problem;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(post.url()).timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofByteArray(post.body()));
            post.headers().forEach(b::header);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            JsonNode answer = parse(r.body());
            int status = r.statusCode();
            boolean ok = status / 100 == 2 && (!post.slack() || answer.path("ok").asBoolean(false));
            if (ok) {
                onSuccess.accept(answer);
                return;
            }
            String slackError = answer.path("error").asText("");
            problem = "HTTP " + status + (slackError.isEmpty() ? "" : " (" + slackError + ")");
            boolean passing = status == 429 || status >= 500 || slackError.equals("ratelimited");
            if (!passing) {
                MagistrateLog.warn(ChatPoster.class, "chat: " + post.what() + " refused: " + problem + "; not retried (the console still shows the request)", null);
                return;
            }
            retryAfterS = r.headers().firstValue("Retry-After").map(ChatPoster::seconds).orElse(-1L);
        } catch (IOException e) {
            problem = e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
            retryAfterS = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            MagistrateLog.warn(ChatPoster.class, "chat: " + post.what() + " failed", e);
            return;
        }
        if (attempt >= ATTEMPTS) {
            MagistrateLog.warn(ChatPoster.class, "chat: " + post.what() + " failed " + ATTEMPTS + " times, last " + problem
                    + "; given up (the console still shows the request)", null);
            return;
        }
        long delayMs = retryAfterS >= 0 ? Math.min(retryAfterS, MAX_RETRY_AFTER_S) * 1000 : 500L << (2 * (attempt - 1)); // 0.5 s, 2 s
        schedule(() -> attempt(post, onSuccess, attempt + 1), delayMs);
    }

    private void schedule(Runnable r, long delayMs) {
        try {
            executor.schedule(r, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the relay is closing: nothing more is posted
        }
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n == null ? JSON.createObjectNode() : n;
        } catch (IOException notJson) {
            return JSON.createObjectNode(); // Teams' incoming webhooks answer "1"
        }
    }

    private static long seconds(String header) {
        try {
            return Math.max(0, Long.parseLong(header.strip()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
