package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Slack's Web API, a Teams incoming webhook and a webhook receiver, on loopback: records every post (path, headers,
 * raw body) and answers as the real services do ({@code {"ok": true, "channel", "ts"}} for Slack, {@code 1} for
 * Teams). {@link #failNext} makes the next posts fail with 503, to exercise retries.
 */
final class FakeChatServices implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    record Post(String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
            }
        }
    }

    private final HttpServer server;
    private final List<Post> posts = new ArrayList<>();
    private final AtomicInteger ts = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();

    FakeChatServices() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void failNext(int n) {
        failures.set(n);
    }

    private void handle(HttpExchange x) throws IOException {
        byte[] body = x.getRequestBody().readAllBytes();
        String path = x.getRequestURI().getPath();
        String answer;
        int status = 200;
        if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            status = 503;
            answer = "busy";
        } else {
            synchronized (posts) {
                posts.add(new Post(path, Map.copyOf(x.getRequestHeaders()), body));
                posts.notifyAll();
            }
            if (path.startsWith("/api/")) {
                JsonNode sent = JSON.readTree(body);
                answer = JSON.createObjectNode().put("ok", true).put("channel", sent.path("channel").asText())
                        .put("ts", "1700000000." + String.format("%06d", ts.incrementAndGet())).toString();
            } else {
                answer = "1";
            }
        }
        byte[] out = answer.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    /** Every post so far whose path starts with {@code prefix}. */
    List<Post> posts(String prefix) {
        synchronized (posts) {
            return posts.stream().filter(p -> p.path().startsWith(prefix)).toList();
        }
    }

    /** Waits up to 10 s for the {@code n}th post (1-based) to {@code prefix} that matches, and returns it. */
    Post await(String prefix, int n, Predicate<Post> matching) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        synchronized (posts) {
            while (true) {
                List<Post> found = posts.stream().filter(p -> p.path().startsWith(prefix)).filter(matching).toList();
                if (found.size() >= n) return found.get(n - 1);
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new AssertionError("no post #" + n + " to " + prefix + " within 10 s; posts: " + posts.stream().map(Post::path).toList());
                posts.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    Post await(String prefix, int n) throws InterruptedException {
        return await(prefix, n, p -> true);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
