package dev.magistrate.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.console.ConsoleHttpServer;
import dev.magistrate.console.ConsoleHttpServer.Request;
import dev.magistrate.console.ConsoleHttpServer.Response;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.server.FleetService.RequestView;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * The intent API over HTTP ({@code openapi.yaml}): JSON in and out, each call authenticated with the agent's bearer token
 * (a vote with the approver's own personal token instead). Bad input is a 400 naming the field, an unknown or wrong token a
 * 401; every refusal is recorded in the {@code refusals} table. Request bodies are limited by the console's HTTP server
 * ({@link ConsoleHttpServer#MAX_BODY_BYTES}).
 */
final class IntentApi {

    /** The longest a status request may wait for a final state. */
    static final int MAX_WAIT_SECONDS = 60;
    /** How often a waiting status request looks at the database (a vote may land on another replica). */
    static final long POLL_MILLIS = 200;
    private static final String JSON_TYPE = "application/json; charset=utf-8";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private static final Set<String> INTENT_FIELDS = Set.of("action", "args", "agent", "justification", "urgency", "cost");
    private static final Set<String> VOTE_FIELDS = Set.of("approver", "verdict", "comment", "totp");
    private static final Set<String> VERIFY_FIELDS = Set.of("warrant", "action", "args");
    private static final Set<String> EXECUTION_FIELDS = Set.of("warrant", "outcome", "result_digest");
    private static final Set<String> CHECKPOINT_FIELDS = Set.of("checkpoint", "from_size", "proof");
    private static final Set<String> OUTCOMES = Set.of("started", "succeeded", "failed");

    private static final TypeReference<LinkedHashMap<String, Object>> ARGS = new TypeReference<>() { };

    private final FleetService service;
    private final CheckpointWitness witness;
    /** Long polls hold a worker thread; at most this many wait at once, the rest are answered at once (the client polls again). */
    private final Semaphore waiters;

    IntentApi(FleetService service, CheckpointWitness witness, int workers) {
        this.service = service;
        this.witness = witness;
        this.waiters = new Semaphore(Math.max(1, workers / 2));
    }

    /** Every answer names the replica that gave it ({@code Magistrate-Replica}), for the agents' audit trails. */
    Response handle(Request x) {
        return answer(x).with("Magistrate-Replica", service.replica());
    }

    private Response answer(Request x) {
        ApiRoute route = null;
        String id = null;
        boolean pathKnown = false;
        for (ApiRoute r : ApiRoute.values()) {
            if (r.console()) continue;
            String p = r.match(x.path());
            if (p == null) continue;
            pathKnown = true;
            if (r.method.equals(x.method())) {
                route = r;
                id = p;
                break;
            }
        }
        String principal = null;
        try {
            if (route == null) throw new ApiException(pathKnown ? 405 : 404, null, pathKnown ? x.method() + " is not allowed on " + x.path()
                    : "no route " + x.method() + " " + x.path() + " (see openapi.yaml)");
            if (route == ApiRoute.WARRANT_KEYS) return ok(warrantKeys());
            if (route == ApiRoute.CAST_VOTE) {
                ObjectNode body = body(x, VOTE_FIELDS);
                principal = optionalText(body, "approver");
                return ok(vote(x, id, body));
            }
            principal = agent(x);
            return ok(switch (route) {
                case SUBMIT_INTENT -> submit(principal, body(x, INTENT_FIELDS));
                case INTENT_STATUS -> status(principal, id, waitSeconds(x.query()));
                case REPORT_EXECUTION -> execution(principal, id, body(x, EXECUTION_FIELDS));
                case VERIFY_WARRANT -> verify(body(x, VERIFY_FIELDS));
                case SUBMIT_CHECKPOINT -> checkpoint(principal, body(x, CHECKPOINT_FIELDS));
                case CHECKPOINT_HEAD -> witness.head(principal).json();
                default -> throw new IllegalStateException(route.name());
            });
        } catch (ApiException e) {
            service.recordRefusal(route == null ? x.method() + " " + x.path() : route.method + " " + route.template, principal, id, e.status(), e.getMessage());
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("error", e.getMessage());
            if (e.field() != null) err.put("field", e.field());
            err.putAll(e.details());
            Response r = json(e.status(), err);
            return e.status() == 401 ? r.with("WWW-Authenticate", "Bearer realm=\"magistrate\"") : r;
        }
    }

    /** The agent whose bearer token the request carries; 401 otherwise. */
    private String agent(Request x) {
        String token = bearer(x);
        return service.agentByToken(token).orElseThrow(() -> new ApiException(401, null, "unknown agent token"));
    }

    private static String bearer(Request x) {
        String auth = x.header("authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.length() <= 7) {
            throw new ApiException(401, null, "missing credential: send Authorization: Bearer <token>");
        }
        return auth.substring(7).strip();
    }

    private Map<String, Object> submit(String agent, ObjectNode b) {
        String action = requiredText(b, "action");
        String claimed = optionalText(b, "agent");
        if (claimed != null && !claimed.equals(agent)) {
            throw new ApiException(403, "agent", "agent: the token is agent " + agent + "'s, not " + claimed + "'s");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        JsonNode a = b.get("args");
        if (a != null && !a.isNull()) {
            if (!a.isObject()) throw ApiException.badField("args", "must be an object of argument names to values");
            args = JSON.convertValue(a, ARGS);
        }
        Number cost = null;
        JsonNode c = b.get("cost");
        if (c != null && !c.isNull()) {
            if (!c.isNumber()) throw ApiException.badField("cost", "must be a number");
            cost = c.numberValue();
        }
        Intent intent;
        try {
            intent = Intent.builder(action).agent(agent).args(args).justification(optionalText(b, "justification"))
                    .urgency(optionalText(b, "urgency")).estimatedCost(cost).build();
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("args", e.getMessage());
        }
        FleetService.Submitted s = service.submit(intent);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", s.status());
        out.put("request_id", s.requestId());
        out.put("tier", s.decision().tier().name());
        if (s.warrantJson() != null) out.put("warrant", s.warrantJson());
        if (s.reason() != null) {
            out.put("reason", s.reason());
            out.put("rule", s.rule());
        }
        return out;
    }

    private Map<String, Object> status(String agent, String id, int wait) {
        RequestView r = service.find(agent, id).orElseThrow(() -> new ApiException(404, null, "no intent '" + id + "' of agent " + agent));
        if (!r.isFinal() && wait > 0 && waiters.tryAcquire()) {
            try {
                long until = System.nanoTime() + wait * 1_000_000_000L;
                while (!r.isFinal() && System.nanoTime() < until) {
                    Thread.sleep(POLL_MILLIS);
                    r = service.find(agent, id).orElseThrow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                waiters.release();
            }
        }
        return view(r);
    }

    static Map<String, Object> view(RequestView r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("request_id", r.id());
        out.put("action", r.action());
        out.put("state", r.state());
        out.put("status", switch (r.state()) {
            case FleetService.APPROVED -> "allow";
            case FleetService.PENDING -> "pending";
            default -> "denied";
        });
        out.put("tier", r.tier());
        out.put("required_approvals", r.requiredApprovals());
        out.put("required_roles", r.requiredRoles());
        out.put("mfa_required", r.mfaRequired());
        out.put("approved_by", r.approvedBy());
        if (r.deadline() != null) out.put("deadline", r.deadline().toString());
        if (r.reason() != null) out.put("reason", r.reason());
        if (r.decidedBy() != null) out.put("decided_by", r.decidedBy());
        if (r.warrantJson() != null) out.put("warrant", r.warrantJson());
        return out;
    }

    private Map<String, Object> vote(Request x, String id, ObjectNode b) {
        String token = bearer(x);
        String approver = requiredText(b, "approver");
        String verdict = requiredText(b, "verdict");
        if (!verdict.equals("approve") && !verdict.equals("deny")) throw ApiException.badField("verdict", "must be 'approve' or 'deny', got '" + verdict + "'");
        FleetService.VoteOutcome o = service.vote(id, service.approverByToken(approver, token), "personal token", verdict.equals("approve"),
                optionalText(b, "comment"), optionalText(b, "totp"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("accepted", true);
        out.put("state", o.state());
        out.put("approvals", o.approvals());
        out.put("required_approvals", o.requiredApprovals());
        return out;
    }

    private Map<String, Object> verify(ObjectNode b) {
        String warrant = requiredText(b, "warrant");
        Map<String, Object> args = null;
        JsonNode a = b.get("args");
        if (a != null && !a.isNull()) {
            if (!a.isObject()) throw ApiException.badField("args", "must be an object of argument names to values");
            args = JSON.convertValue(a, ARGS);
        }
        FleetService.Verification v = service.verify(warrant, optionalText(b, "action"), args);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("valid", v.valid());
        if (v.warrantId() != null) out.put("warrant_id", v.warrantId());
        if (v.reason() != null) out.put("reason", v.reason());
        if (v.detail() != null) out.put("detail", v.detail());
        out.put("args_source", args != null ? "request" : "recorded intent");
        return out;
    }

    private Map<String, Object> execution(String agent, String id, ObjectNode b) {
        String warrant = requiredText(b, "warrant");
        String outcome = requiredText(b, "outcome");
        if (!OUTCOMES.contains(outcome)) throw ApiException.badField("outcome", "must be started, succeeded or failed, got '" + outcome + "'");
        String digest = optionalText(b, "result_digest");
        if (digest != null && !FleetService.RESULT_DIGEST.matcher(digest).matches()) {
            throw ApiException.badField("result_digest", "must be sha256: and 64 lower-case hex digits");
        }
        return Map.of("status", service.execute(agent, id, warrant, outcome, digest));
    }

    private Map<String, Object> checkpoint(String agent, ObjectNode b) {
        String note = requiredText(b, "checkpoint");
        Long fromSize = null;
        JsonNode f = b.get("from_size");
        if (f != null && !f.isNull()) {
            if (!f.canConvertToLong() || !f.isIntegralNumber() || f.longValue() < 0) throw ApiException.badField("from_size", "must be a whole number >= 0");
            fromSize = f.longValue();
        }
        List<byte[]> proof = new ArrayList<>();
        JsonNode p = b.get("proof");
        if (p != null && !p.isNull()) {
            if (!p.isArray()) throw ApiException.badField("proof", "must be an array of base64 SHA-256 hashes");
            if (p.size() > CheckpointWitness.MAX_PROOF_NODES) throw ApiException.badField("proof", "at most " + CheckpointWitness.MAX_PROOF_NODES + " hashes");
            for (int i = 0; i < p.size(); i++) {
                byte[] h = null;
                if (p.get(i).isTextual()) {
                    try {
                        h = Base64.getDecoder().decode(p.get(i).textValue());
                    } catch (IllegalArgumentException e) {
                        h = null;
                    }
                }
                if (h == null || h.length != 32) throw ApiException.badField("proof[" + i + "]", "must be the base64 of a 32-byte SHA-256 hash");
                proof.add(h);
            }
        }
        return witness.submit(agent, note, fromSize, proof);
    }

    private Map<String, Object> warrantKeys() {
        List<Map<String, Object>> keys = new ArrayList<>();
        String active = service.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        for (WarrantKey k : service.warrantKeys().keys(SignatureAlgorithm.ED25519)) {
            if (!(k instanceof Ed25519Key ed)) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", k.keyId());
            m.put("algorithm", k.algorithm().wireName());
            m.put("public_key", Base64.getUrlEncoder().withoutPadding().encodeToString(ed.publicKeyBytes()));
            m.put("active", k.keyId().equals(active));
            keys.add(m);
        }
        return Map.of("keys", keys);
    }

    // ---- input -----------------------------------------------------------------------------------------------------

    /** The body as a JSON object with only these fields; 400 naming the field (or the body) otherwise. */
    private static ObjectNode body(Request x, Set<String> allowed) {
        String type = x.header("content-type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw ApiException.badField("Content-Type", "must be application/json");
        }
        JsonNode n;
        try {
            n = JSON.readTree(new String(x.body(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw ApiException.badField("body", "not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""));
        }
        if (n == null || !n.isObject()) throw ApiException.badField("body", "must be a JSON object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) throw ApiException.badField(f, "unknown field (expected " + String.join(", ", allowed.stream().sorted().toList()) + ")");
        }
        return (ObjectNode) n;
    }

    private static String requiredText(ObjectNode b, String field) {
        String s = optionalText(b, field);
        if (s == null || s.isBlank()) throw ApiException.badField(field, "required");
        return s;
    }

    private static String optionalText(ObjectNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw ApiException.badField(field, "must be a string");
        if (n.textValue().length() > 4096) throw ApiException.badField(field, "at most 4096 characters");
        return n.textValue();
    }

    private static int waitSeconds(String query) {
        if (query == null) return 0;
        for (String pair : query.split("&")) {
            if (!pair.startsWith("wait=")) throw ApiException.badField(pair.split("=", 2)[0], "unknown query parameter (expected wait)");
            try {
                int w = Integer.parseInt(pair.substring(5));
                if (w < 0 || w > MAX_WAIT_SECONDS) throw ApiException.badField("wait", "must be 0 to " + MAX_WAIT_SECONDS + " seconds, got " + w);
                return w;
            } catch (NumberFormatException e) {
                throw ApiException.badField("wait", "must be a whole number of seconds");
            }
        }
        return 0;
    }

    private static Response ok(Map<String, Object> body) {
        return json(200, body);
    }

    private static Response json(int status, Map<String, Object> body) {
        try {
            return new Response(status, JSON_TYPE, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            MagistrateLog.warn(IntentApi.class, "a response could not be written", e);
            return ConsoleHttpServer.error(500, "internal error");
        }
    }
}
