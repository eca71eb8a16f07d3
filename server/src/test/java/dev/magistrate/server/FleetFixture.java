package dev.magistrate.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApproverToken;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One real PostgreSQL (embedded, in a temp directory) for a test class, the test policy and an approver directory whose
 * personal tokens the tests hold, a key directory, and replicas of the service on that database. Plain HTTP calls.
 */
final class FleetFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    final Path dir;
    final EmbeddedPostgres postgres;
    final Path policy;
    final Path approvers;
    final Path keys;
    /** Personal tokens by approver id. */
    final Map<String, String> approverTokens = Map.of("alice", ApproverToken.mint(), "bob", ApproverToken.mint(), "carol", ApproverToken.mint(),
            "dana", ApproverToken.mint());
    private final List<FleetServer> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    FleetFixture(Path dir) throws IOException {
        this(dir, "/fleet-policy.yaml");
    }

    /** With the policy in this test resource. */
    FleetFixture(Path dir, String policyResource) throws IOException {
        this.dir = dir;
        postgres = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(true).start();
        policy = dir.resolve("policy.yaml");
        try (InputStream in = FleetFixture.class.getResourceAsStream(policyResource)) {
            Files.write(policy, in.readAllBytes());
        }
        approvers = dir.resolve("approvers.yaml");
        StringBuilder yaml = new StringBuilder("approvers:\n");
        for (String id : List.of("alice", "bob", "carol", "dana")) {
            yaml.append("  - id: ").append(id).append("\n    roles: [sre]\n    token_sha256: ").append(ApproverToken.sha256Hex(approverTokens.get(id))).append('\n');
            if (id.equals("dana")) yaml.append("    totp_secret: ").append(TOTP_SECRET).append('\n');
        }
        Files.writeString(approvers, yaml);
        keys = dir.resolve("keys");
    }

    String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    /** A replica on the shared database, on a free port. */
    FleetServer replica(String name) {
        return replica(name, 8, java.util.function.UnaryOperator.identity());
    }

    /** A replica with this many HTTP workers, its service seeing the pool through {@code around}. */
    FleetServer replica(String name, int workers, java.util.function.UnaryOperator<javax.sql.DataSource> around) {
        FleetServer s = FleetServer.start(ServerOptions.parse(List.of("--policy", policy.toString(), "--approvers", approvers.toString(),
                "--keys", keys.toString(), "--db", jdbcUrl(), "--port", "0", "--replica", name, "--workers", Integer.toString(workers))), around);
        started.add(s);
        return s;
    }

    record Reply(int status, JsonNode body) {
        String text(String field) {
            return body.path(field).asText(null);
        }
    }

    Reply post(FleetServer to, String path, String bearer, Object body) {
        return post(to.port(), path, bearer, body);
    }

    /** To a replica on this port (a child process, say). */
    Reply post(int port, String path, String bearer, Object body) {
        try {
            return send(HttpRequest.newBuilder(uri(port, path)).POST(HttpRequest.BodyPublishers.ofString(
                    body instanceof String s ? s : JSON.writeValueAsString(body))).header("Content-Type", "application/json"), bearer);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    Reply get(FleetServer to, String path, String bearer) {
        return get(to.port(), path, bearer);
    }

    Reply get(int port, String path, String bearer) {
        return send(HttpRequest.newBuilder(uri(port, path)).GET(), bearer);
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private Reply send(HttpRequest.Builder b, String bearer) {
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Reply submit(FleetServer to, String agentToken, String action, Map<String, ?> args) {
        return post(to, "/v1/intents", agentToken, Map.of("action", action, "args", args, "justification", "test"));
    }

    Reply vote(FleetServer to, String requestId, String approver, String verdict) {
        return vote(to.port(), requestId, approver, verdict);
    }

    Reply vote(int port, String requestId, String approver, String verdict) {
        return post(port, "/v1/requests/" + requestId + "/votes", approverTokens.get(approver), Map.of("approver", approver, "verdict", verdict));
    }

    /** The service's pending request for this action whose arguments hold {@code marker}, once an agent's submission reached it. */
    String pendingRequest(String action, String marker) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            try (var c = postgres.getPostgresDatabase().getConnection(); var ps = c.prepareStatement(
                    "SELECT id FROM requests WHERE action = ? AND state = 'pending' AND args_json LIKE ? ORDER BY submitted_at DESC LIMIT 1")) {
                ps.setString(1, action);
                ps.setString(2, "%" + marker + "%");
                try (var rs = ps.executeQuery()) {
                    if (rs.next()) return rs.getString(1);
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no agent's " + action + " (" + marker + ") reached the service within 60 s");
    }

    long count(String sql, Object... params) {
        try (var c = postgres.getPostgresDatabase().getConnection(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement on the database directly (as an operator would), returning the rows it changed. */
    int execute(String sql, Object... params) {
        try (var c = postgres.getPostgresDatabase().getConnection(); var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            return ps.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void stop(FleetServer s) {
        started.remove(s);
        s.close();
    }

    @Override
    public void close() throws IOException {
        for (FleetServer s : started) s.close();
        postgres.close();
    }
}
