package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalBackendProvider;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.warrant.Constraint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The approval console: an HTTP API on the loopback interface through which people (a terminal, a
 * web page, a script standing in for an approver desk) see what waits for approval and vote on it.
 * Every request must carry the bearer token that the backend writes, with the URL, to an owner-only
 * file at start; nothing listens beyond 127.0.0.1. Votes are relayed to the engine, which decides
 * whether they count (roles, distinct approvers, TOTP, self-approval, timeout).
 *
 * <pre>
 * GET  /api/requests                 the requests waiting now
 * GET  /api/requests/{intent}        one request, waiting or recently ended
 * POST /api/requests/{intent}/votes  {"approver": "alice", "verdict": "approve"|"deny", "comment": "...",
 *                                     "totp": "123456", "constraints": [{"argument": "instances", "max": 25}]}
 * </pre>
 */
public final class ConsoleApprovalBackend implements ApprovalBackend {

    public static final String NAME = "console";
    private static final int MAX_BODY = 64 * 1024;
    private static final int KEEP_ENDED = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final class Entry {
        final ApprovalRequest request;
        final VoteSink votes;
        volatile String state = "pending";
        final List<String> history = new ArrayList<>();

        Entry(ApprovalRequest request, VoteSink votes) {
            this.request = request;
            this.votes = votes;
        }
    }

    private final Map<String, Entry> entries = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final HttpServer server;
    private final ExecutorService executor;
    private final byte[] token;
    private final String url;
    private final Path file;

    ConsoleApprovalBackend(int port, Path file) {
        this.file = file;
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String tokenText = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("approval console: cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "magistrate-approval-console");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/api/requests", this::handle);
        startAsDaemon(server);
        url = "http://127.0.0.1:" + server.getAddress().getPort();
        writeConnectionFile(tokenText);
    }

    /**
     * The JDK server's dispatcher thread inherits daemon status from the thread that starts it; started
     * from an application's main thread it would keep the JVM alive after main returns.
     */
    private static void startAsDaemon(HttpServer server) {
        Thread starter = new Thread(server::start, "magistrate-approval-console-start");
        starter.setDaemon(true);
        starter.start();
        try {
            starter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the approval console", e);
        }
    }

    private void writeConnectionFile(String tokenText) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".console", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the directory's own permissions protect it
            }
            ObjectNode o = JSON.createObjectNode().put("url", url).put("token", tokenText);
            Files.writeString(tmp, JSON.writeValueAsString(o) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            server.stop(0);
            executor.shutdownNow();
            throw new UncheckedIOException("approval console: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String endpoint() {
        return url;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        Entry e = new Entry(request, votes);
        synchronized (entries) {
            entries.put(request.intentId(), e);
            if (entries.size() > KEEP_ENDED * 2) prune();
        }
    }

    private void prune() {
        int ended = 0;
        for (Entry e : entries.values()) if (!e.state.equals("pending")) ended++;
        var it = entries.values().iterator();
        while (ended > KEEP_ENDED && it.hasNext()) {
            if (!it.next().state.equals("pending")) {
                it.remove();
                ended--;
            }
        }
    }

    @Override
    public void cancel(String intentId) {
        Entry e = entries.get(intentId);
        if (e != null && e.state.equals("pending")) e.state = "ended";
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a stale connection file only names a closed port
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!authorised(x)) {
                reply(x, 401, error("missing or wrong bearer token (see the console file)"));
                return;
            }
            String path = x.getRequestURI().getPath();
            String rest = path.substring("/api/requests".length());
            String method = x.getRequestMethod();
            if (rest.isEmpty() || rest.equals("/")) {
                if (!method.equals("GET")) {
                    reply(x, 405, error("use GET"));
                    return;
                }
                ArrayNode list = JSON.createArrayNode();
                synchronized (entries) {
                    for (Entry e : entries.values()) if (e.state.equals("pending")) list.add(describe(e));
                }
                reply(x, 200, list);
                return;
            }
            String[] parts = rest.substring(1).split("/");
            Entry e = entries.get(parts[0]);
            if (e == null) {
                reply(x, 404, error("no approval request for intent '" + parts[0] + "'"));
                return;
            }
            if (parts.length == 1 && method.equals("GET")) {
                reply(x, 200, describe(e));
            } else if (parts.length == 2 && parts[1].equals("votes") && method.equals("POST")) {
                vote(x, e);
            } else {
                reply(x, 404, error("unknown resource " + path));
            }
        } catch (RuntimeException e) {
            MagistrateLog.warn(ConsoleApprovalBackend.class, "approval console request failed", e);
        }
    }

    private void vote(HttpExchange x, Entry e) throws IOException {
        JsonNode body;
        try (InputStream in = x.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                reply(x, 413, error("a vote is at most " + MAX_BODY + " bytes"));
                return;
            }
            body = JSON.readTree(bytes);
        } catch (IOException bad) {
            reply(x, 400, error("the body is not JSON: " + (bad instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : bad.getMessage())));
            return;
        }
        Vote vote;
        try {
            vote = parseVote(body);
        } catch (IllegalArgumentException bad) {
            reply(x, 400, error(bad.getMessage()));
            return;
        }
        if (!e.state.equals("pending")) {
            reply(x, 409, JSON.createObjectNode().put("accepted", false).put("rejection", "the intent is no longer waiting")
                    .put("state", e.state));
            return;
        }
        VoteResult r = e.votes.vote(vote);
        synchronized (e.history) {
            e.history.add(vote.toString() + (r.accepted() ? "" : " (not counted: " + r.rejection() + ")"));
        }
        if (!r.state().equals("pending")) e.state = r.state();
        ObjectNode out = JSON.createObjectNode().put("accepted", r.accepted()).put("state", r.state());
        if (r.rejection() != null) out.put("rejection", r.rejection());
        reply(x, 200, out);
    }

    static Vote parseVote(JsonNode body) {
        if (body == null || !body.isObject()) throw new IllegalArgumentException("a vote is a JSON object");
        Set<String> known = Set.of("approver", "verdict", "comment", "totp", "constraints");
        body.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) throw new IllegalArgumentException("unknown field '" + f + "' (known: " + known + ")");
        });
        String approver = text(body, "approver", true);
        String verdict = text(body, "verdict", true);
        Verdict v = switch (verdict) {
            case "approve" -> Verdict.APPROVE;
            case "deny" -> Verdict.DENY;
            default -> throw new IllegalArgumentException("verdict is 'approve' or 'deny', not '" + verdict + "'");
        };
        List<Constraint> constraints = new ArrayList<>();
        JsonNode cs = body.get("constraints");
        if (cs != null && !cs.isNull()) {
            if (!cs.isArray()) throw new IllegalArgumentException("constraints is a list");
            for (JsonNode c : cs) {
                String arg = text(c, "argument", true);
                if (c.has("max") && c.get("max").isNumber()) constraints.add(Constraint.max(arg, c.get("max").decimalValue()));
                else if (c.has("min") && c.get("min").isNumber()) constraints.add(Constraint.min(arg, c.get("min").decimalValue()));
                else if (c.has("one_of") && c.get("one_of").isArray()) {
                    List<String> allowed = new ArrayList<>();
                    c.get("one_of").forEach(n -> allowed.add(n.asText()));
                    constraints.add(Constraint.oneOf(arg, allowed));
                } else {
                    throw new IllegalArgumentException("a constraint is {argument, max|min: number} or {argument, one_of: [..]}");
                }
            }
        }
        return new Vote(approver, v, text(body, "comment", false), text(body, "totp", false), constraints);
    }

    private static String text(JsonNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalArgumentException("missing '" + field + "'");
            return null;
        }
        if (!n.isTextual()) throw new IllegalArgumentException("'" + field + "' is text");
        return n.asText();
    }

    private ObjectNode describe(Entry e) {
        ApprovalRequest r = e.request;
        ObjectNode o = JSON.createObjectNode();
        o.put("intent_id", r.intentId());
        o.put("action", r.intent().action());
        o.put("resource", r.intent().resource());
        o.put("agent", r.intent().agent());
        o.put("justification", r.intent().justification());
        o.put("cost", r.intent().estimatedCost() == null ? null : r.intent().estimatedCost().toString());
        try {
            o.set("args", JSON.readTree(r.intent().argsCanonicalJson()));
        } catch (IOException impossible) {
            o.put("args", r.intent().argsCanonicalJson());
        }
        o.put("tier", r.decision().tier().name());
        o.set("rules", JSON.valueToTree(r.decision().matchedRules()));
        o.put("explain", r.decision().explain());
        o.put("required_approvals", r.requiredApprovals());
        o.set("required_roles", JSON.valueToTree(r.requiredRoles()));
        o.put("mfa", r.mfaRequired());
        o.put("deadline", r.deadline().toString());
        o.put("state", e.state);
        synchronized (e.history) {
            o.set("votes", JSON.valueToTree(e.history));
        }
        return o;
    }

    private boolean authorised(HttpExchange x) {
        String h = x.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) return false;
        return MessageDigest.isEqual(h.substring(7).strip().getBytes(StandardCharsets.US_ASCII), token);
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void reply(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Settings: {@code file} (required: where the URL and token are written) and {@code port} (0 picks a free one). */
    public static final class Provider implements ApprovalBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ApprovalBackend create(Map<String, String> settings) {
            for (String k : settings.keySet()) {
                if (!k.equals("port") && !k.equals("file")) throw new IllegalArgumentException("the console backend takes port and file, not '" + k + "'");
            }
            String file = settings.get("file");
            if (file == null || file.isBlank()) throw new IllegalArgumentException("the console backend needs 'file': where to write its URL and token");
            int port;
            try {
                port = Integer.parseInt(settings.getOrDefault("port", "0"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("console port is a number, not '" + settings.get("port") + "'");
            }
            if (port < 0 || port > 65535) throw new IllegalArgumentException("console port " + port + " is out of range");
            return new ConsoleApprovalBackend(port, Path.of(file));
        }
    }
}
