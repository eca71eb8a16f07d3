package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Governor;
import dev.magistrate.governor.MutableClock;
import dev.magistrate.intent.Intent;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The whole stack with chat: {@link Magistrate#open} with the console backend and a chat file whose Slack, Teams and
 * webhook URLs point at {@link FakeChatServices}; approvers mapped to Slack and Teams users; the audit log on disk.
 * Signs callbacks the way Slack, Teams and a webhook tool do, with its own HMAC code (not the relay's).
 */
final class ChatFixture implements AutoCloseable {

    static final String DAVE_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";

    static final String POLICY = """
            policies:
              - {name: scaling, condition: "action == 'scale_service'", risk_tier: T2, required_roles: [senior_dev, devops]}
              - {name: budget, condition: "action == 'raise_budget'", risk_tier: T3, required_approvals: [cfo, engineering_director]}
              - {name: quick, condition: "action == 'restart_service'", risk_tier: T2, required_roles: [devops], timeout: "3s"}
            """;

    static final String APPROVERS = """
            approvers:
              - {id: alice, name: Alice Martin, roles: [senior_dev], slack_user: U0ALICE, teams_user: aad-alice}
              - {id: bob, name: Bob Okafor, roles: [devops], slack_user: U0BOB, teams_user: aad-bob}
              - {id: carol, name: Carol Diaz, roles: [senior_dev], token_sha256: %2$s}
              - {id: dave, name: Dave Chen, roles: [cfo], totp_secret: %1$s, slack_user: U0DAVE}
              - {id: erin, name: Erin Novak, roles: [engineering_director]}
            """;

    static final String CHAT = """
            console_url: https://magistrate.example.test
            slack:
              api_url: %1$s/api
              bot_token_file: secrets/slack-bot-token
              signing_secret_file: secrets/slack-signing-secret
            teams:
              channels:
                ops: %1$s/teams/ops
              hmac_secret_file: secrets/teams-hmac
            webhook:
              url: %1$s/hook
              signing_secret_file: secrets/webhook-out
              callback_secret_file: secrets/webhook-in
            routes:
              - {tiers: [T2, T3], slack: C0OPS, teams: ops, webhook: true}
              - {roles: [cfo], slack: C0FINANCE}
              - {roles: [engineering_director], slack: C0DIRECTORS}
            escalation:
              after: 0.5
              roles: [engineering_director]
              slack: C0LEADS
            """;

    final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    final FakeChatServices services = new FakeChatServices();
    final byte[] slackSigning = random();
    final byte[] teamsSecret = random();
    final byte[] webhookOut = random();
    final byte[] webhookIn = random();
    /** Carol votes through the console's API with her personal token. */
    final String carolToken = ApproverToken.mint();
    final Path auditDir;
    final Magistrate magistrate;
    final Governor governor;
    final String consoleUrl;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ChatFixture(Path dir) throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(secrets.resolve("slack-bot-token"), "xoxb-test-bot-token\n");
        Files.write(secrets.resolve("slack-signing-secret"), slackSigning);
        Files.writeString(secrets.resolve("teams-hmac"), Base64.getEncoder().encodeToString(teamsSecret));
        Files.write(secrets.resolve("webhook-out"), webhookOut);
        Files.write(secrets.resolve("webhook-in"), webhookIn);
        Files.writeString(dir.resolve("chat.yaml"), CHAT.formatted(services.url()));
        Files.writeString(dir.resolve("approvers.yaml"), APPROVERS.formatted(DAVE_SECRET, ApproverToken.sha256Hex(carolToken)));
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Path consoleFile = dir.resolve("run/console.json");
        auditDir = dir.resolve("audit");
        magistrate = Magistrate.open(MagistrateSettings.builder().policy(dir.resolve("policy.yaml"))
                .approvals("console", Map.of("file", consoleFile.toString(), "port", "0", "chat", dir.resolve("chat.yaml").toString()))
                .approvers(dir.resolve("approvers.yaml")).auditDirectory(auditDir).keysDirectory(dir.resolve("keys"))
                .agentId("ops-agent").clock(clock).build());
        governor = magistrate.governor();
        JsonNode conn = FakeChatServices.JSON.readTree(Files.readString(consoleFile));
        consoleUrl = conn.get("url").asText();
    }

    /** Random printable secret bytes (base64 text), as a secrets file would hold. */
    private static byte[] random() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw).getBytes(StandardCharsets.US_ASCII);
    }

    Intent.Builder intent(String action) {
        return magistrate.intent(action);
    }

    String totp(String secret) {
        return Totp.codeAt(Totp.decodeBase32(secret), clock.instant());
    }

    long now() {
        return clock.instant().getEpochSecond();
    }

    /** The body Slack posts when {@code user} presses a button: form-encoded {@code payload} of a block_actions interaction. */
    static byte[] slackPress(String user, String actionId, String intentId) {
        return slackPress(user, actionId, intentId, null);
    }

    /** As Slack sends it: with {@code message}, the message whose button was pressed, carried back whole. */
    static byte[] slackPress(String user, String actionId, String intentId, JsonNode message) {
        ObjectNode p = FakeChatServices.JSON.createObjectNode().put("type", "block_actions");
        if (message != null) p.set("message", message);
        p.putObject("user").put("id", user).put("username", user.toLowerCase());
        p.putObject("channel").put("id", "C0OPS").put("name", "ops-approvals");
        p.putObject("container").put("type", "message").put("channel_id", "C0OPS").put("message_ts", "1700000000.000001");
        p.put("response_url", "https://hooks.slack.com/actions/T0/1/abc");
        p.putArray("actions").addObject().put("type", "button").put("block_id", "magistrate_vote").put("action_id", actionId)
                .put("value", intentId).put("action_ts", "1700000001.000000");
        return ("payload=" + URLEncoder.encode(p.toString(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    static String hmacHex(byte[] key, String data) {
        return HexFormat.of().formatHex(hmac(key, data.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    HttpResponse<String> slack(byte[] body, long timestamp, byte[] secret) throws Exception {
        String sig = "v0=" + hmacHex(secret, "v0:" + timestamp + ":" + new String(body, StandardCharsets.UTF_8));
        return post("/chat/slack/actions", body, Map.of("X-Slack-Request-Timestamp", Long.toString(timestamp), "X-Slack-Signature", sig,
                "Content-Type", "application/x-www-form-urlencoded"));
    }

    HttpResponse<String> slack(byte[] body, long timestamp) throws Exception {
        return slack(body, timestamp, slackSigning);
    }

    HttpResponse<String> teams(byte[] body, byte[] secret) throws Exception {
        return post("/chat/teams/actions", body, Map.of("Authorization", "HMAC " + Base64.getEncoder().encodeToString(hmac(secret, body)),
                "Content-Type", "application/json"));
    }

    HttpResponse<String> webhookVote(byte[] body, long timestamp, byte[] secret) throws Exception {
        String sig = "v1=" + hmacHex(secret, timestamp + "." + new String(body, StandardCharsets.UTF_8));
        return post("/chat/webhook/votes", body, Map.of("X-Magistrate-Timestamp", Long.toString(timestamp), "X-Magistrate-Signature", sig,
                "Content-Type", "application/json"));
    }

    HttpResponse<String> post(String path, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(consoleUrl + path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every entry in the audit log on disk, read as another process would. */
    List<AuditEvent> audit() {
        List<AuditEvent> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(auditDir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) out.add(d.event());
        }
        return out;
    }

    /** The ACCESS entries: refusals of chat callbacks that never became votes. */
    List<AuditPayload.Access> accessRefusals() {
        return audit().stream().filter(e -> e.type() == AuditEventType.ACCESS).map(e -> (AuditPayload.Access) e.payload()).toList();
    }

    @Override
    public void close() {
        magistrate.close();
        services.close();
    }
}
