package dev.magistrate.server;

import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.governor.BreakGlass;
import dev.magistrate.governor.DenialStage;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real engine with {@code magistrate.approvals=remote} against two replicas of the service on one real PostgreSQL:
 * what stays local, what the service decides, how its warrant is verified and spent, and what each audit trail holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteApprovalsTest {

    Path dir;
    FleetFixture fleet;
    FleetServer a;
    FleetServer b;
    Path tokenFile;
    Path keyFile;
    final ExecutorService pool = Executors.newCachedThreadPool();
    final List<Magistrate> engines = new ArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        this.dir = dir;
        fleet = new FleetFixture(dir);
        a = fleet.replica("replica-a");
        b = fleet.replica("replica-b");
        tokenFile = Files.writeString(dir.resolve("agent.token"), a.service().enrollAgent("ops-agent") + "\n");
        keyFile = Files.writeString(dir.resolve("fleet-warrant-keys.json"), fleet.get(b, "/v1/keys/warrant", null).body().toString());
    }

    @AfterAll
    void stop() throws IOException {
        pool.shutdownNow();
        for (Magistrate m : engines) m.close();
        fleet.close();
    }

    /** An agent process of its own: its own audit trail and keys, the test policy, approvals at the service through {@code urls}. */
    Magistrate engine(String name, Path pinnedKeys, URI... urls) {
        Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(fleet.policy).auditDirectory(dir.resolve(name + "/audit"))
                .keysDirectory(dir.resolve(name + "/keys")).agentId("ops-agent").signalsJmx(false).telemetry(false)
                .approvals(MagistrateSettings.REMOTE).fleet(new FleetSettings(List.of(urls), tokenFile, pinnedKeys)).build());
        engines.add(m);
        return m;
    }

    static URI url(FleetServer s) {
        return URI.create("http://127.0.0.1:" + s.port());
    }

    /** A port nothing listens on: a replica that is down. */
    static URI deadUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    /** The entries of this intent (of every intent when null), in order. */
    static List<AuditEvent> trail(Path auditDir, String intentId) {
        List<AuditEvent> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(auditDir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) if (intentId == null || d.event().intentId().equals(intentId)) out.add(d.event());
        }
        return out;
    }

    static List<AuditEventType> types(List<AuditEvent> events) {
        return events.stream().map(AuditEvent::type).toList();
    }

    @Test
    void aT2CallSubmittedThroughOneReplicaIsApprovedByVotesThroughTheOtherAndSpentBeforeItRuns() throws Exception {
        Magistrate m = engine("approved", keyFile, url(a), url(b));
        Intent call = m.intent("scale_service").arg("service", "checkout").arg("instances", 12).justification("p99 above SLO").build();
        Future<Execution> admitted = pool.submit(() -> m.admit(call));
        String requestId = fleet.pendingRequest("scale_service", "checkout");
        // Submitted through A, the request lives in the database: B knows it.
        assertEquals("pending", fleet.get(b, "/v1/intents/" + requestId, readQuietly(tokenFile)).text("status"));
        assertEquals(200, fleet.vote(b, requestId, "alice", "approve").status());
        assertEquals("approved", fleet.vote(b, requestId, "bob", "approve").text("state"));

        Execution run = admitted.get(60, TimeUnit.SECONDS);
        assertEquals(requestId, run.warrant().intentId(), "the service's warrant, bound to its request");
        assertEquals(List.of("alice", "bob"), run.warrant().approvedBy());
        assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ? AND outcome = 'started'", requestId),
                "spent at the service before the body runs");
        run.completed("scaled checkout to 12");
        assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ? AND outcome = 'succeeded'"
                + " AND result_digest LIKE 'sha256:%'", requestId));

        List<AuditEvent> local = trail(dir.resolve("approved/audit"), call.id());
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.APPROVAL_REQUESTED, AuditEventType.FLEET_ANSWER,
                AuditEventType.FLEET_ANSWER, AuditEventType.WARRANT_ISSUED, AuditEventType.WARRANT_VERIFIED, AuditEventType.EXECUTION_STARTED,
                AuditEventType.EXECUTION_COMPLETED), types(local));
        var pending = (AuditPayload.FleetAnswer) local.get(3).payload();
        assertEquals("pending", pending.status());
        assertEquals(requestId, pending.requestId());
        assertTrue(pending.replica().startsWith("replica-a "), pending.replica());
        var allowed = (AuditPayload.FleetAnswer) local.get(4).payload();
        assertEquals("allow", allowed.status());
        assertEquals(List.of("alice", "bob"), allowed.approvedBy());
        assertEquals("remote", ((AuditPayload.ApprovalRequested) local.get(2).payload()).backend());
    }

    @Test
    void aT0CallRunsLocallyAndALocalDenialStaysLocalWithoutARoundTrip() {
        Magistrate m = engine("local", keyFile, url(a));
        long before = fleet.count("SELECT count(*) FROM requests");
        Execution read = m.admit(m.intent("read_metrics").arg("service", "api").build());
        assertNull(read.warrant(), "a T0 call runs on its DECISION entry, as without a service");
        read.completed("ok");
        DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(m.intent("drop_table").arg("table", "users").build()));
        assertEquals(DenialStage.POLICY, denied.stage());
        assertEquals("No DROP", denied.deniedBy());
        assertEquals(before, fleet.count("SELECT count(*) FROM requests"), "neither call reached the service");
    }

    @Test
    void aT0CallThatReadsAFleetWindowIsDecidedByTheServiceWhichCountsForTheWholeFleet() {
        // Two agent processes, one budget: the fleet buys at most twice an hour, whichever process asks through whichever replica.
        Magistrate one = engine("fleet-window-1", keyFile, url(a)), two = engine("fleet-window-2", keyFile, url(b));
        Execution first = one.admit(one.intent("purchase").arg("item", "disk").build());
        assertNotNull(first.warrant(), "a T0 call that reads a fleet window is the service's to decide: its warrant authorises it");
        first.completed("bought");
        two.admit(two.intent("purchase").arg("item", "cpu").build()).completed("bought");
        Intent third = one.intent("purchase").arg("item", "ram").build();
        DeniedException denied = assertThrows(DeniedException.class, () -> one.admit(third));
        assertTrue(denied.getMessage().contains("the fleet buys at most twice an hour"), denied.getMessage());
        assertEquals(3, fleet.count("SELECT count(*) FROM requests WHERE action = 'purchase'"), "each of the three went to the service");
        List<AuditEvent> local = trail(dir.resolve("fleet-window-1/audit"), third.id());
        assertTrue(((AuditPayload.Decision) local.get(1).payload()).signals().contains("count_fleet('purchase', 1h)=counted by the fleet service"),
                "the local DECISION says who counts the window: " + local.get(1).payload());
    }

    @Test
    void aCallTheLocalPassDeniesByAFleetWindowIsAnAuditedPolicyDenialThatSaysWhoCountsTheWindow() {
        // Locally a fleet window reads as nothing spent; a refund over the whole budget is denied by the local pass alone,
        // and its denial text explains the budget without a local count (the fleet service keeps it).
        Magistrate m = engine("fleet-window-denied", keyFile, url(a));
        long before = fleet.count("SELECT count(*) FROM requests WHERE action = 'refund'");
        Intent refund = m.intent("refund").arg("amount", 500).build();
        DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(refund));
        assertEquals(DenialStage.POLICY, denied.stage());
        assertEquals("Fleet refund budget", denied.deniedBy());
        assertTrue(denied.getMessage().contains("budget sum_fleet(args.amount, 'refund', 1h): counted by the fleet service"), denied.getMessage());
        assertEquals(before, fleet.count("SELECT count(*) FROM requests WHERE action = 'refund'"), "a local denial never reaches the service");
        assertEquals(AuditEventType.INTENT_DENIED, types(trail(dir.resolve("fleet-window-denied/audit"), refund.id())).get(2));
    }

    @Test
    void aBreakGlassGrantOpenedOnTheAgentNeverBypassesTheService() throws Exception {
        // The agent's own policy offers break-glass and its own directory has a director with TOTP; a grant opened there
        // covers the call, yet the service still decides it (here: two votes), and the grant takes no use.
        Path local = Files.createDirectories(dir.resolve("break-glass"));
        Path policy = Files.writeString(local.resolve("policy.yaml"), Files.readString(fleet.policy)
                + "break_glass:\n  roles: [director]\n  max_uses: 3\n  max_duration: 30m\n");
        Path approvers = Files.writeString(local.resolve("approvers.yaml"), "approvers:\n  - id: erin\n    roles: [director]\n"
                + "    token_sha256: " + ApproverToken.sha256Hex("erin's token") + "\n    totp_secret: " + FleetFixture.TOTP_SECRET + "\n");
        Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(policy).approvers(approvers).auditDirectory(local.resolve("audit"))
                .keysDirectory(local.resolve("keys")).agentId("ops-agent").signalsJmx(false).telemetry(false)
                .approvals(MagistrateSettings.REMOTE).fleet(new FleetSettings(List.of(url(a)), tokenFile, keyFile)).build());
        engines.add(m);
        BreakGlass.Grant grant = m.governor().breakGlass().open(new BreakGlass.Opening("erin", new ApproverCredential.SignedIn("erin", "test sign-in"),
                Totp.codeAt(Totp.decodeBase32(FleetFixture.TOTP_SECRET), Instant.now()), "INC-1: checkout is down", List.of("scale_service"), 1,
                Duration.ofMinutes(10)));

        Intent call = m.intent("scale_service").arg("service", "break-glass").arg("instances", 3).build();
        Future<Execution> admitted = pool.submit(() -> m.admit(call));
        String requestId = fleet.pendingRequest("scale_service", "break-glass");
        assertEquals(200, fleet.vote(b, requestId, "alice", "approve").status());
        assertEquals("approved", fleet.vote(b, requestId, "bob", "approve").text("state"));
        Execution run = admitted.get(60, TimeUnit.SECONDS);
        assertEquals(List.of("alice", "bob"), run.warrant().approvedBy(), "the service's approvers authorised it, not the grant");
        run.completed("scaled");
        assertEquals(1, m.governor().breakGlass().grant(grant.id()).orElseThrow().usesLeft(), "the grant took no use");
        assertFalse(types(trail(local.resolve("audit"), call.id())).contains(AuditEventType.BREAK_GLASS_USED));
    }

    @Test
    void aCallTheServicesApproverDeniesIsDeniedWithTheirReason() throws Exception {
        Magistrate m = engine("denied", keyFile, url(b), url(a));
        Intent call = m.intent("scale_service").arg("service", "search").arg("instances", 300).build();
        Future<Execution> admitted = pool.submit(() -> m.admit(call));
        String requestId = fleet.pendingRequest("scale_service", "search");
        fleet.post(a, "/v1/requests/" + requestId + "/votes", fleet.approverTokens.get("carol"),
                Map.of("approver", "carol", "verdict", "deny", "comment", "300 is a bill, not a fix"));
        Exception e = assertThrows(Exception.class, () -> admitted.get(60, TimeUnit.SECONDS));
        DeniedException denied = (DeniedException) e.getCause();
        assertEquals(DenialStage.APPROVAL, denied.stage());
        assertEquals("carol", denied.deniedBy());
        assertTrue(denied.reason().contains("300 is a bill, not a fix") && denied.reason().contains(requestId), denied.reason());
        List<AuditEvent> local = trail(dir.resolve("denied/audit"), call.id());
        assertEquals(AuditEventType.INTENT_DENIED, local.get(local.size() - 1).type());
        assertEquals("denied", ((AuditPayload.FleetAnswer) local.get(local.size() - 2).payload()).status());
    }

    @Test
    void aWarrantWhoseSignatureThePinnedKeyDoesNotVerifyIsRefusedAndTheCallDoesNotRun() throws Exception {
        // The same key id as the service's, another key's public half: the service's real signature does not verify under it.
        String real = Files.readString(keyFile);
        String keyId = fleet.get(a, "/v1/keys/warrant", null).body().path("keys").get(0).path("key_id").asText();
        byte[] otherPublic = ((dev.magistrate.keys.Ed25519Key) KeyDirectory.openOrCreate(dir.resolve("impostor-keys")).warrantKeys()
                .signingKey(dev.magistrate.keys.SignatureAlgorithm.ED25519)).publicKeyBytes();
        Path wrongPin = Files.writeString(dir.resolve("wrong-pin.json"), "{\"keys\":[{\"key_id\":\"" + keyId + "\",\"algorithm\":\"ed25519\","
                + "\"public_key\":\"" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(otherPublic) + "\",\"active\":true}]}");
        assertTrue(real.contains(keyId));
        Magistrate m = engine("wrong-pin", wrongPin, url(a));
        Intent call = m.intent("deploy").arg("service", "web").build(); // T1 by default: one approval
        Future<Execution> admitted = pool.submit(() -> m.admit(call));
        String requestId = fleet.pendingRequest("deploy", "web");
        assertEquals("approved", fleet.vote(a, requestId, "alice", "approve").text("state"));
        Exception e = assertThrows(Exception.class, () -> admitted.get(60, TimeUnit.SECONDS));
        DeniedException denied = (DeniedException) e.getCause();
        assertEquals(DenialStage.VERIFICATION, denied.stage());
        assertEquals("bad_signature", denied.deniedBy());
        assertEquals(0, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ?", requestId), "nothing was spent");
        List<AuditEventType> local = types(trail(dir.resolve("wrong-pin/audit"), call.id()));
        assertTrue(local.contains(AuditEventType.WARRANT_REJECTED) && !local.contains(AuditEventType.EXECUTION_STARTED), local.toString());
    }

    @Test
    void aWarrantSpentByOneAgentProcessIsRefusedToAnother() throws Exception {
        Magistrate first = engine("spender", keyFile, url(a));
        Intent call = first.intent("deploy").arg("service", "billing").build();
        Future<Execution> admitted = pool.submit(() -> first.admit(call));
        assertEquals("approved", fleet.vote(b, fleet.pendingRequest("deploy", "billing"), "alice", "approve").text("state"));
        Execution run = admitted.get(60, TimeUnit.SECONDS);
        run.completed("deployed");

        // Another process of the same agent, with its own (empty) ledger, presents the same warrant: the service refuses it.
        Magistrate second = engine("replayer", keyFile, url(b));
        DeniedException replay = assertThrows(DeniedException.class, () -> second.governor().verify(run.warrant(), "deploy", Map.of("service", "billing")));
        assertEquals(DenialStage.VERIFICATION, replay.stage());
        assertEquals("replayed", replay.deniedBy());
        assertTrue(replay.reason().contains("409"), replay.reason());
    }

    @Test
    void whenNoReplicaAnswersACallNeedingApprovalIsDeniedNamingTheUrlsWhileAT0CallStillRuns() throws Exception {
        URI down1 = deadUrl(), down2 = deadUrl();
        Magistrate m = engine("down", keyFile, down1, down2);
        DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(m.intent("deploy").arg("service", "web").build()));
        assertEquals(DenialStage.BACKEND, denied.stage());
        assertTrue(denied.reason().startsWith("approval backend 'remote' could not get a decision: no replica of the fleet service answered (tried ")
                && denied.reason().contains(down1.toString()) && denied.reason().contains(down2.toString()), denied.reason());
        Execution read = m.admit(m.intent("read_metrics").arg("service", "api").build());
        read.completed("ok");
    }

    @Test
    void aCallNobodyDecidesIsDeniedAtTheApprovalTimeoutAndTheCallerWaitsNoLonger() {
        Magistrate m = engine("timeout", keyFile, url(a), url(b));
        Intent call = m.intent("restart_service").arg("service", "cache").build(); // timeout: 2s, here and at the service
        DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(call));
        assertEquals("timeout", denied.deniedBy(), denied.reason());
        List<AuditEventType> local = types(trail(dir.resolve("timeout/audit"), call.id()));
        assertTrue(local.contains(AuditEventType.INTENT_TIMED_OUT) || local.contains(AuditEventType.INTENT_DENIED), local.toString());
        assertTrue(!local.contains(AuditEventType.EXECUTION_STARTED), local.toString());
    }

    @Test
    void aDeadReplicaFirstInTheListIsSkipped() throws Exception {
        Magistrate m = engine("failover", keyFile, deadUrl(), url(b));
        Intent call = m.intent("deploy").arg("service", "failover").build();
        Future<Execution> admitted = pool.submit(() -> m.admit(call));
        assertEquals("approved", fleet.vote(a, fleet.pendingRequest("deploy", "failover"), "alice", "approve").text("state"));
        Execution run = admitted.get(60, TimeUnit.SECONDS);
        assertNotNull(run.warrant());
        run.completed("done");
    }

    @Test
    void aMissingTokenOrKeyFileIsAStartUpErrorNamingTheSetting() {
        IllegalArgumentException noToken = assertThrows(IllegalArgumentException.class, () -> Magistrate.open(MagistrateSettings.builder()
                .policy(fleet.policy).auditDirectory(dir.resolve("bad/audit")).keysDirectory(dir.resolve("bad/keys")).signalsJmx(false)
                .telemetry(false).approvals("remote").fleet(new FleetSettings(List.of(url(a)), dir.resolve("no-such.token"), keyFile)).build()));
        assertTrue(noToken.getMessage().startsWith("magistrate.fleet.token.file: "), noToken.getMessage());
        IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class, () -> Magistrate.open(MagistrateSettings.builder()
                .policy(fleet.policy).auditDirectory(dir.resolve("bad2/audit")).keysDirectory(dir.resolve("bad2/keys")).signalsJmx(false)
                .telemetry(false).approvals("remote").fleet(new FleetSettings(List.of(url(a)), tokenFile, dir.resolve("no-such.json"))).build()));
        assertTrue(noKey.getMessage().startsWith("magistrate.fleet.key "), noKey.getMessage());
        assertTrue(!noToken.getMessage().contains(readQuietly(tokenFile)), "the token never appears in a message");
    }

    static String readQuietly(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
