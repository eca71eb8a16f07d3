package dev.magistrate.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ApprovalAuthority;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.AuthorityVerdicts;
import dev.magistrate.approval.AuthorityVerdicts.Answer;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.KeySet;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.warrant.RejectionReason;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantRejectedException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The {@code remote} approval backend: the fleet service is the authority for every call the local policy does not
 * settle here. A call is submitted with {@code POST /v1/intents}; a pending one is long-polled with
 * {@code GET /v1/intents/{id}?wait=N} (a broken poll resumes on another replica with the same request id: the request
 * lives in the service's database) until it is final or the local approval deadline passes. The warrant is spent with
 * {@code POST /v1/intents/{id}/execution} before the body runs and its outcome confirmed after. Every request fails
 * over between the replicas ({@link FleetClient}); when none answers, the call is denied with the URLs tried.
 */
public final class RemoteApprovals implements ApprovalAuthority {

    public static final String NAME = "remote";
    /** The bound on a request that is not a long poll. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** The longest one long poll asks the service to wait; the read timeout is this plus {@link #POLL_GRACE}. */
    static final int MAX_WAIT_SECONDS = 30;
    static final Duration POLL_GRACE = Duration.ofSeconds(10);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FleetClient client;
    private final KeySet serviceKeys;
    private final Clock clock;
    private final ExecutorService waiters;
    /** The intents whose answer is still awaited; a withdrawn one stops being polled. */
    private final Set<String> awaited = ConcurrentHashMap.newKeySet();

    private RemoteApprovals(FleetClient client, KeySet serviceKeys, Clock clock) {
        this.client = client;
        this.serviceKeys = serviceKeys;
        this.clock = clock;
        this.waiters = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "magistrate-fleet-wait");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Reads the token and the pinned keys now: a missing or unreadable file is a start-up error naming its setting.
     *
     * @throws IllegalArgumentException naming {@link FleetSettings#TOKEN_FILE} or {@link FleetSettings#KEY}
     */
    public static RemoteApprovals open(FleetSettings settings, Clock clock) {
        String token;
        try {
            token = Files.readString(settings.tokenFile()).strip();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(FleetSettings.TOKEN_FILE + ": cannot read the agent token from " + settings.tokenFile() + " ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        if (token.isEmpty() || token.contains("\n") || token.length() > 512) {
            throw new IllegalArgumentException(FleetSettings.TOKEN_FILE + ": " + settings.tokenFile() + " must hold one token, the one enroll-agent printed");
        }
        return new RemoteApprovals(new FleetClient(settings.urls(), token), pinnedKeys(settings), clock);
    }

    /** The service's public warrant keys as {@code GET /v1/keys/warrant} returned them: {@code {"keys":[{"key_id",...}]}}. */
    private static KeySet pinnedKeys(FleetSettings settings) {
        String where = FleetSettings.KEY + " (" + settings.serviceKeyFile() + ")";
        JsonNode keys;
        try {
            keys = JSON.readTree(Files.readString(settings.serviceKeyFile())).path("keys");
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(where + ": cannot read the service's warrant keys: " + e.getMessage(), e);
        }
        if (!keys.isArray() || keys.isEmpty()) {
            throw new IllegalArgumentException(where + ": expected the JSON of GET /v1/keys/warrant, {\"keys\": [{\"key_id\", \"algorithm\", \"public_key\"}]}");
        }
        Map<String, byte[]> byId = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            JsonNode k = keys.get(i);
            String id = k.path("key_id").asText(""), alg = k.path("algorithm").asText(""), pub = k.path("public_key").asText("");
            if (!alg.equalsIgnoreCase("ed25519")) throw new IllegalArgumentException(where + ": keys[" + i + "].algorithm must be ed25519, got '" + alg + "'");
            try {
                byId.put(id, Base64.getUrlDecoder().decode(pub));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": keys[" + i + "].public_key is not base64url", e);
            }
        }
        try {
            return KeySet.pinned(KeyPurpose.WARRANT, settings.serviceKeyFile(), byId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FleetSettings.KEY + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return String.join(", ", client.urls().stream().map(Object::toString).toList());
    }

    @Override
    public KeySet warrantKeys() {
        return serviceKeys;
    }

    @Override
    public void submit(ApprovalRequest request, AuthorityVerdicts verdicts) {
        String body = intentBody(request.intent()); // before the thread: an unencodable call is refused at once
        awaited.add(request.intentId());
        waiters.execute(() -> {
            try {
                await(request, body, verdicts);
            } catch (FleetClient.Unreachable e) {
                verdicts.fail(e.getMessage());
            } catch (RuntimeException e) {
                verdicts.fail("the service's answer could not be read: " + e);
            } finally {
                awaited.remove(request.intentId());
            }
        });
    }

    private void await(ApprovalRequest request, String body, AuthorityVerdicts verdicts) {
        FleetClient.Reply r = client.send("/v1/intents", body, REQUEST_TIMEOUT);
        if (r.status() != 200) {
            verdicts.fail("the service refused the intent: " + r.error());
            return;
        }
        Answer a = answer(r, r.text("status"));
        verdicts.answered(a);
        while (!a.isFinal()) {
            if (!awaited.contains(request.intentId())) return; // withdrawn: the engine ended it (timeout, interrupt, close)
            long left = Duration.between(clock.instant(), request.deadline()).toSeconds();
            if (left <= 0) return; // the engine's own timer denies it
            int wait = (int) Math.min(MAX_WAIT_SECONDS, left);
            r = client.send("/v1/intents/" + a.requestId() + "?wait=" + wait, null, Duration.ofSeconds(wait).plus(POLL_GRACE));
            if (r.status() != 200) {
                verdicts.fail("the service could not say how request " + a.requestId() + " stands: " + r.error());
                return;
            }
            a = answer(r, switch (String.valueOf(r.text("state"))) {
                case "approved" -> "allow";
                case "timed_out" -> "timed_out";
                case "denied" -> "denied";
                default -> "pending";
            });
            if (a.isFinal()) verdicts.answered(a);
        }
    }

    private static Answer answer(FleetClient.Reply r, String status) {
        String id = r.text("request_id");
        if (id == null || status == null) throw new IllegalStateException("no request_id or status in " + r.body());
        List<String> approvedBy = new ArrayList<>();
        r.body().path("approved_by").forEach(n -> approvedBy.add(n.asText()));
        String rule = r.text("rule") != null ? r.text("rule") : r.text("decided_by");
        return new Answer(id, status, r.text("warrant"), approvedBy, status.equals("denied") || status.equals("timed_out") ? rule : null,
                r.text("reason"), r.answeredBy());
    }

    /** The intent as the engine recorded it: action, the canonical arguments, agent, justification, urgency, cost. */
    private static String intentBody(Intent intent) {
        ObjectNode b = JSON.createObjectNode();
        b.put("action", intent.action());
        try {
            b.set("args", JSON.readTree(intent.argsCanonicalJson()));
        } catch (IOException e) {
            throw new IllegalArgumentException("the call's arguments cannot be sent: " + e.getMessage(), e);
        }
        b.put("agent", intent.agent());
        if (intent.justification() != null) b.put("justification", intent.justification());
        if (intent.urgency() != null) b.put("urgency", intent.urgency());
        if (intent.estimatedCost() != null) b.put("cost", new BigDecimal(intent.estimatedCost().toString()));
        return b.toString();
    }

    @Override
    public void spend(Warrant warrant) {
        FleetClient.Reply r;
        try {
            r = client.send("/v1/intents/" + warrant.intentId() + "/execution", execution(warrant, "started", null), REQUEST_TIMEOUT);
        } catch (RuntimeException e) { // FleetClient.Unreachable among them: fail closed
            throw new WarrantRejectedException(RejectionReason.LEDGER_FAILURE, warrant.warrantId(), "its use could not be recorded at the fleet"
                    + " service, so the call does not run: " + e.getMessage());
        }
        if (r.status() == 200) return;
        throw new WarrantRejectedException(r.status() == 409 ? RejectionReason.REPLAYED : RejectionReason.LEDGER_FAILURE, warrant.warrantId(),
                "the fleet service refused to spend it: " + r.error());
    }

    @Override
    public void confirm(Warrant warrant, boolean succeeded, String resultSha256) {
        FleetClient.Reply r = client.send("/v1/intents/" + warrant.intentId() + "/execution",
                execution(warrant, succeeded ? "succeeded" : "failed", succeeded && resultSha256 != null ? "sha256:" + resultSha256 : null),
                REQUEST_TIMEOUT);
        if (r.status() != 200) {
            MagistrateLog.warn(RemoteApprovals.class, "the fleet service did not take the outcome of warrant " + warrant.warrantId() + ": " + r.error(), null);
        }
    }

    private static String execution(Warrant warrant, String outcome, String resultDigest) {
        ObjectNode b = JSON.createObjectNode();
        b.put("warrant", warrant.toJson());
        b.put("outcome", outcome);
        if (resultDigest != null) b.put("result_digest", resultDigest);
        return b.toString();
    }

    @Override
    public void cancel(String intentId) {
        awaited.remove(intentId);
    }

    @Override
    public void close() {
        waiters.shutdownNow();
    }

    /** For a log line: never the token. */
    @Override
    public String toString() {
        return "RemoteApprovals" + client.urls();
    }
}
