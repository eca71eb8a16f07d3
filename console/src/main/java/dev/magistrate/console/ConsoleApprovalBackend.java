package dev.magistrate.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalBackendProvider;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.console.chat.ChatRelay;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.warrant.Constraint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The approval console: an HTTP API on the loopback interface through which people (a terminal, a
 * web page, a script standing in for an approver desk) see what waits for approval and vote on it.
 * Nothing listens beyond 127.0.0.1.
 *
 * <p>Two kinds of credential. The <em>console token</em>, written with the URL to an owner-only file at
 * start, only reads: the governed application runs as the same user and can read that file, so it must
 * not be able to vote. A vote carries, as its bearer token, the <em>personal token</em> of the approver it
 * is cast as ({@code magistrate approvers token} mints one; the approver directory holds only its SHA-256).
 * The console relays it to the engine, which counts the vote only if it is that approver's own, and audits
 * every refusal (403). Votes are then checked as always (roles, distinct approvers, TOTP with lockout (429),
 * self-approval, timeout).
 *
 * <pre>
 * GET  /api/health                   console token: {"status": "ok", "pending": n}
 * GET  /api/requests                 console token: the requests waiting now
 * GET  /api/requests/{intent}        console token: one request, waiting or recently ended
 * POST /api/policy/reload           the personal token of an approver with the role policy_admin; body optional:
 *                                    {"client": "cli"} (recorded in the trigger, "cli: riya"; else "console: riya").
 *                                    200 {"loaded": true, "previous_version", "version", "rules", "message"};
 *                                    409 {"loaded": false, "version" (the one that keeps deciding), "error" (file:line:col ...)}
 * POST /api/requests/{intent}/votes  the approver's personal token:
 *                                    {"verdict": "approve"|"deny"|"more_info", "comment": "...", "totp": "123456",
 *                                     "constraints": [{"argument": "instances", "max": 25}], "edits": {"instances": 25},
 *                                     "approver": "alice" (optional: the token's owner; another id is refused, 403)}
 * </pre>
 *
 * People use the web pages ({@link WebConsole}: sign-in per person, pending list with live updates, decisions,
 * history) on the same port. The HTTP limits (deadlines, sizes, connections, workers) are {@link ConsoleHttpServer}'s.
 */
public final class ConsoleApprovalBackend implements ApprovalBackend {

    public static final String NAME = "console";
    private static final int MAX_BODY = ConsoleHttpServer.MAX_BODY_BYTES;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsoleRequests requests = new ConsoleRequests();
    private final LiveEvents live = new LiveEvents();
    private volatile ApprovalContext context;
    private volatile WebConsole web;
    /** Opened by {@link #attach}: the URL is published before the engine has finished starting, and pages wait for it. */
    private final CountDownLatch attached = new CountDownLatch(1);
    private volatile AuditTrails trails;
    private final ConsoleHttpServer server;
    private final byte[] token;
    private final String url;
    private final Path file;
    /** Slack, Teams and webhook notifications and their callbacks under /chat/; null without a {@code chat} setting. */
    private final ChatRelay chat;

    ConsoleApprovalBackend(int port, Path file) {
        this(port, file, null);
    }

    ConsoleApprovalBackend(int port, Path file, ChatRelay chat) {
        this.file = file;
        this.chat = chat;
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String tokenText = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        this.token = tokenText.getBytes(StandardCharsets.US_ASCII);
        server = new ConsoleHttpServer(port, this::handle);
        url = "http://127.0.0.1:" + server.port();
        writeConnectionFile(tokenText);
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
            server.close();
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

    /** The web pages need the approver directory (sign-in), the clock (sessions) and the audit (sign-ins, history). */
    @Override
    public void attach(ApprovalContext context) {
        this.context = context;
        this.trails = new AuditTrails(context.auditDirectory().orElse(null));
        this.web = new WebConsole(requests, context, live, trails, server.port(), false);
        if (chat != null) chat.attach(context);
        for (ApprovalRequest r : context.abandonedAtStart()) {
            RequestRecord abandoned = new RequestRecord(r, ABANDONED, now(), () -> live.changed(r.intentId()), (vote, result) -> { });
            abandoned.end("abandoned", now());
            requests.add(abandoned);
        }
        attached.countDown();
    }

    /** Where votes for a request abandoned by a restart go: nowhere, its caller is gone. */
    private static final VoteSink ABANDONED = new VoteSink() {
        private static final String WHY = "the process restarted while the call waited; its caller is gone, so it can never run";

        @Override
        public VoteResult vote(Vote vote) {
            return VoteResult.rejected(WHY, "abandoned");
        }

        @Override
        public void fail(String reason) {
        }

        @Override
        public VoteResult approveAutomatically(String note) {
            return VoteResult.rejected(WHY, "abandoned");
        }
    };

    private Instant now() {
        ApprovalContext c = context;
        return c == null ? Instant.now() : c.clock().instant();
    }

    @Override
    public void request(ApprovalRequest request, VoteSink votes) {
        String id = request.intentId();
        requests.add(new RequestRecord(request, votes, now(), () -> live.changed(id), (vote, result) -> {
            if (chat != null) chat.voted(id, vote, result);
        }));
        live.changed(id);
        if (chat != null) chat.requested(request, votes);
    }

    @Override
    public void proposalChanged(ApprovalRequest edited) {
        RequestRecord r = requests.get(edited.intentId());
        if (r != null) r.proposalChanged(edited);
    }

    @Override
    public void cancel(String intentId) {
        RequestRecord r = requests.get(intentId);
        if (r != null) r.end("ended", now());
        if (chat != null) chat.ended(intentId);
    }

    @Override
    public boolean requiresApproverCredentials() {
        return true;
    }

    @Override
    public void close() {
        server.close();
        live.close();
        AuditTrails t = trails;
        if (t != null) t.close();
        if (chat != null) chat.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a stale connection file only names a closed port
        }
    }

    private ConsoleHttpServer.Response handle(ConsoleHttpServer.Request x) {
        String path = x.path();
        if (!path.startsWith("/api/") && !path.startsWith("/chat/")) {
            try {
                if (!attached.await(ConsoleHttpServer.REQUEST_DEADLINE_MS, TimeUnit.MILLISECONDS)) {
                    return ConsoleHttpServer.error(503, "the console's engine has not started; try again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ConsoleHttpServer.error(503, "the console is stopping");
            }
            return web.handle(x);
        }
        return api(x);
    }

    private ConsoleHttpServer.Response api(ConsoleHttpServer.Request x) {
        String path = x.path();
        String method = x.method();
        if (chat != null && path.startsWith("/chat/")) {
            ChatRelay.Reply r = chat.handle(method, path, x.headers(), x.body()); // authenticated by each service's signature
            return new ConsoleHttpServer.Response(r.status(), r.contentType(), r.body());
        }
        if (path.equals("/api/health")) {
            if (!consoleToken(x)) return reply(401, error("missing or wrong bearer token (the console file's token reads)"));
            if (!method.equals("GET")) return reply(405, error("use GET"));
            return reply(200, JSON.createObjectNode().put("status", "ok").put("pending", requests.pending().size()));
        }
        if (path.equals("/api/policy/reload")) return reloadPolicy(x);
        if (!path.equals("/api/requests") && !path.startsWith("/api/requests/")) return reply(404, error("unknown resource " + path));
        String rest = path.substring("/api/requests".length());
        if (rest.isEmpty() || rest.equals("/")) {
            if (!consoleToken(x)) return reply(401, error("missing or wrong bearer token (the console file's token reads)"));
            if (!method.equals("GET")) return reply(405, error("use GET"));
            ArrayNode list = JSON.createArrayNode();
            for (RequestRecord r : requests.pending()) list.add(describe(r));
            return reply(200, list);
        }
        String[] parts = rest.substring(1).split("/");
        boolean isVote = parts.length == 2 && parts[1].equals("votes") && method.equals("POST");
        // Reading needs the console token; a vote is authenticated by the engine against the approver's personal token.
        if (!isVote && !consoleToken(x)) return reply(401, error("missing or wrong bearer token (the console file's token reads)"));
        if (isVote && bearer(x) == null) return reply(401, error("a vote carries the approver's personal token as its bearer token"));
        RequestRecord e = requests.get(parts[0]);
        if (e == null) return reply(404, error("no approval request for intent '" + parts[0] + "'"));
        if (parts.length == 1 && method.equals("GET")) return reply(200, describe(e));
        if (isVote) return vote(x, e);
        return reply(404, error("unknown resource " + path));
    }

    private ConsoleHttpServer.Response vote(ConsoleHttpServer.Request x, RequestRecord e) {
        byte[] bytes = x.body();
        if (bytes.length > MAX_BODY) return reply(413, error("a vote is at most " + MAX_BODY + " bytes"));
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (IOException bad) {
            return reply(400, error("the body is not JSON: " + (bad instanceof JsonProcessingException j ? j.getOriginalMessage() : bad.getMessage())));
        }
        String bearer = bearer(x);
        boolean readOnly = consoleToken(x);
        String owner = null;
        if (body == null || !body.hasNonNull("approver")) {
            // The vote is the bearer token's owner's; the console token is nobody's, and a token of no one is refused.
            owner = readOnly || context == null ? null : context.approvers().findByToken(bearer).map(Approver::id).orElse(null);
            if (owner == null) {
                if (context != null) {
                    context.recordAccess(NAME, readOnly ? "(console token)" : "(unknown personal token)", false, e.intentId(),
                            "vote refused: the bearer token is no approver's personal token");
                }
                return refusedCredential(readOnly ? null : "the bearer token is no approver's personal token", readOnly);
            }
        }
        // With "approver", the engine checks that the token is that approver's, and audits a refusal.
        Vote vote;
        try {
            vote = parseVote(body, owner);
        } catch (IllegalArgumentException bad) {
            return reply(400, error(bad.getMessage()));
        }
        // The console token is never passed on as a credential: the engine sees a vote without one, refuses and audits it.
        vote = vote.withCredential(readOnly ? null : new ApproverCredential.PersonalToken(bearer));
        if (!e.pending() && !readOnly) {
            // Only someone holding a personal token learns the state; the engine still checks it was theirs.
            VoteResult r = e.cast(vote, now());
            if (r.refusal() == VoteResult.Refusal.CREDENTIAL) return refusedCredential(r.rejection(), false);
            return reply(409, JSON.createObjectNode().put("accepted", false).put("rejection", "the intent is no longer waiting").put("state", e.state()));
        }
        VoteResult r = e.cast(vote, now());
        if (r.refusal() == VoteResult.Refusal.CREDENTIAL) return refusedCredential(r.rejection(), readOnly);
        ObjectNode out = JSON.createObjectNode().put("accepted", r.accepted()).put("state", r.state());
        if (r.rejection() != null) out.put("rejection", r.rejection());
        return reply(r.refusal() == VoteResult.Refusal.LOCKED ? 429 : 200, out);
    }

    private ConsoleHttpServer.Response reloadPolicy(ConsoleHttpServer.Request x) {
        if (!x.method().equals("POST")) return reply(405, error("use POST"));
        String bearer = bearer(x);
        if (bearer == null) return reply(401, error("a policy reload carries the personal token of an approver with the role policy_admin"));
        ApprovalContext c = context;
        if (c == null) return reply(503, error("the console's engine has not started; try again"));
        // The console token only reads: the governed application can read its file, and must not change its own policy.
        Approver owner = consoleToken(x) ? null : c.approvers().findByToken(bearer).orElse(null);
        if (owner == null) {
            String why = consoleToken(x) ? "the console file's token only reads; a policy reload carries a policy admin's personal token"
                    : "the bearer token is no approver's personal token";
            c.recordAccess(NAME, consoleToken(x) ? "(console token)" : "(unknown personal token)", false, null, "policy reload refused: " + why);
            return reply(403, error(why));
        }
        String client = "console";
        if (x.body().length > 0) {
            try {
                JsonNode body = JSON.readTree(x.body());
                if (body != null && !body.isNull()) {
                    if (!body.isObject()) return reply(400, error("the body is a JSON object: {\"client\": \"cli\"}, or empty"));
                    for (Iterator<String> f = body.fieldNames(); f.hasNext(); ) {
                        String name = f.next();
                        if (!name.equals("client")) return reply(400, error("unknown field '" + name + "' (known: client)"));
                    }
                    String given = body.path("client").asText("console");
                    if (!given.equals("cli") && !given.equals("console")) return reply(400, error("client is 'cli' or 'console', not '" + given + "'"));
                    client = given;
                }
            } catch (IOException bad) {
                return reply(400, error("the body is not JSON"));
            }
        }
        PolicyReloads.Answer a = PolicyReloads.reload(c, owner.id(), client);
        ObjectNode out = JSON.createObjectNode();
        LivePolicy.Outcome o = a.outcome();
        if (o != null) {
            out.put("loaded", o.loaded());
            if (o.loaded()) out.put("previous_version", o.previousVersion());
            out.put("version", o.versionInForce());
            if (o.loaded()) out.put("rules", o.rules());
        }
        out.put(a.status() == 200 ? "message" : "error", a.status() == 200 || o == null ? a.message() : o.error());
        return reply(a.status(), out);
    }

    private static ConsoleHttpServer.Response refusedCredential(String rejection, boolean consoleToken) {
        String why = consoleToken
                ? "the console file's token only reads (list, show, health); a vote carries the approver's own personal token as its bearer token"
                : rejection;
        return reply(403, JSON.createObjectNode().put("accepted", false).put("rejection", why).put("error", why));
    }

    /** {@code owner}: the approver the bearer token belongs to, used when the body names none. */
    static Vote parseVote(JsonNode body, String owner) {
        if (body == null || !body.isObject()) throw new IllegalArgumentException("a vote is a JSON object");
        Set<String> known = Set.of("approver", "verdict", "comment", "totp", "constraints", "edits");
        body.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) throw new IllegalArgumentException("unknown field '" + f + "' (known: " + known + ")");
        });
        String approver = text(body, "approver", owner == null);
        if (approver == null) approver = owner;
        String verdict = text(body, "verdict", true);
        Verdict v = switch (verdict) {
            case "approve" -> Verdict.APPROVE;
            case "deny" -> Verdict.DENY;
            case "more_info" -> Verdict.MORE_INFO;
            default -> throw new IllegalArgumentException("verdict is 'approve', 'deny' or 'more_info', not '" + verdict + "'");
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
        Map<String, Object> edits = new LinkedHashMap<>();
        JsonNode es = body.get("edits");
        if (es != null && !es.isNull()) {
            if (!es.isObject()) throw new IllegalArgumentException("edits is an object: argument name to new value");
            es.fields().forEachRemaining(e -> {
                JsonNode n = e.getValue();
                // The engine checks each value against the argument's type; here only the JSON kind is taken.
                if (n.isIntegralNumber()) edits.put(e.getKey(), n.bigIntegerValue());
                else if (n.isNumber()) edits.put(e.getKey(), n.decimalValue());
                else if (n.isTextual()) edits.put(e.getKey(), n.textValue());
                else if (n.isBoolean()) edits.put(e.getKey(), n.booleanValue());
                else throw new IllegalArgumentException("edits." + e.getKey() + " is a number, text or a boolean");
            });
        }
        return new Vote(approver, v, text(body, "comment", false), text(body, "totp", false), constraints, edits, null);
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

    private ObjectNode describe(RequestRecord e) {
        ApprovalRequest r = e.current();
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
        o.put("parent_intent_id", r.intent().parentIntentId());
        o.put("urgency", r.intent().urgency());
        o.put("rollback_plan", r.intent().rollbackPlan());
        o.put("state", e.state());
        ArrayNode votes = o.putArray("votes");
        e.votes().forEach(line -> votes.add(line.toString()));
        if (e.votesNotShown() > 0) o.put("votes_not_shown", e.votesNotShown());
        return o;
    }

    private static String bearer(ConsoleHttpServer.Request x) {
        String h = x.header("Authorization");
        if (h == null || !h.startsWith("Bearer ")) return null;
        String t = h.substring(7).strip();
        return t.isEmpty() ? null : t;
    }

    private boolean consoleToken(ConsoleHttpServer.Request x) {
        String b = bearer(x);
        return b != null && MessageDigest.isEqual(b.getBytes(StandardCharsets.UTF_8), token);
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static ConsoleHttpServer.Response reply(int status, JsonNode body) {
        try {
            return new ConsoleHttpServer.Response(status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Settings: {@code file} (required: where the URL and token are written), {@code port} (0 picks a free one), and
     * {@code chat} (optional: the Slack, Teams and webhook configuration file, see {@link ChatRelay}).
     */
    public static final class Provider implements ApprovalBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public ApprovalBackend create(Map<String, String> settings) {
            ApprovalBackendProvider.requireKnownSettings(NAME, settings, Set.of("port", "file", "chat"));
            String file = settings.get("file");
            if (file == null || file.isBlank()) throw new IllegalArgumentException("the console backend needs 'file': where to write its URL and token");
            int port;
            try {
                port = Integer.parseInt(settings.getOrDefault("port", "0"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("console port is a number, not '" + settings.get("port") + "'");
            }
            if (port < 0 || port > 65535) throw new IllegalArgumentException("console port " + port + " is out of range");
            String chat = settings.get("chat");
            return new ConsoleApprovalBackend(port, Path.of(file), chat == null || chat.isBlank() ? null : ChatRelay.open(Path.of(chat)));
        }
    }
}
