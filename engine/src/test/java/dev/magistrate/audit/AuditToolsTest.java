package dev.magistrate.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** verify, proofs, export, tail and report on a real log. */
class AuditToolsTest {

    @TempDir
    Path tmp;

    @Test
    void inclusionProofConvincesAnAuditorOfOneEntryAndNothingElse() {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 37);
        }
        CheckpointVerifier key = signer().verifier();
        for (long i : new long[]{0, 1, 17, 36}) {
            LogProofs.InclusionProof p = LogProofs.proveInclusion(dir, i);
            assertTrue(LogProofs.verify(p, key), "entry " + i);
            assertEquals(event(i), CanonicalEntry.decode(p.entry()).event());
        }
        LogProofs.InclusionProof p = LogProofs.proveInclusion(dir, 17);
        byte[] forged = CanonicalEntry.encode(17, CanonicalEntry.decode(p.entry()).prev(), event(18));
        assertFalse(LogProofs.verify(new LogProofs.InclusionProof(17, forged, p.checkpointNote(), p.path()), key), "other entry bytes");
        assertFalse(LogProofs.verify(new LogProofs.InclusionProof(18, p.entry(), p.checkpointNote(), p.path()), key), "other index");
        assertFalse(LogProofs.verify(p, CheckpointSigner.fromSeed(KEY_NAME, seed("other")).verifier()), "other key");
        assertThrows(IllegalArgumentException.class, () -> LogProofs.proveInclusion(dir, 37), "not covered by the checkpoint");
    }

    @Test
    void consistencyProofLinksAnOlderCheckpointToTheCurrentOneAndExposesAFork() throws Exception {
        Path dir = tmp.resolve("audit");
        String older;
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 21);
            older = log.checkpoint();
            appendEvents(log, 21, 40);
        }
        String newer = Files.readString(dir.resolve("checkpoint"));
        CheckpointVerifier key = signer().verifier();
        LogProofs.ConsistencyProof proof = LogProofs.proveConsistency(dir, older, newer);
        assertTrue(LogProofs.verify(proof, key));
        assertFalse(LogProofs.verify(new LogProofs.ConsistencyProof(newer, older, proof.path()), key), "swapped");

        // A fork signed with the real key (e.g. a restored backup that went on differently) is not consistent.
        Path fork = tmp.resolve("fork");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(fork))) {
            appendEvents(log, 0, 20);
            log.append(AuditEvent.of(AuditEventType.INTENT_DENIED, "x", Instant.EPOCH, "reason", "forked"));
            appendEvents(log, 21, 40);
        }
        String forkNewer = Files.readString(fork.resolve("checkpoint"));
        LogProofs.ConsistencyProof forkProof = LogProofs.proveConsistency(fork, older, forkNewer);
        assertFalse(LogProofs.verify(forkProof, key));
        assertEquals(VerificationResult.Status.TAMPERED, verifier().verify(fork, older).status());
        assertEquals("OK 61 entries", verifier().verify(dir, older).summary());
    }

    @Test
    void exportWritesOneStableJsonObjectPerEntryAndNestsTheWarrant() throws Exception {
        Path dir = tmp.resolve("audit");
        Instant t = Instant.parse("2026-11-24T10:00:00.000001Z");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            log.append(AuditEvent.of(AuditEventType.WARRANT_ISSUED, "i-1", t, "warrant_id", "w-1",
                    "warrant", "{\"id\":\"w-1\",\"scope\":{\"action\":\"deploy\"}}", "approved_by", List.of("alice"), "expires_at", "2026-11-24T11:00:00Z"));
            log.append(AuditEvent.of(AuditEventType.WARRANT_ISSUED, "i-2", Instant.parse("2026-11-24T10:00:00Z"), "warrant_id", "w-2", "warrant", "not json"));
            log.append(AuditEvent.of(AuditEventType.VOTE, "i-1", t, "approver", "bob", "accepted", false, "n", 3L, "comment", null));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(3, JsonLinesExporter.export(dir, 0, out));
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines[0]);
        assertEquals(List.of("index", "type", "intent_id", "time", "fields"), fieldNames(first));
        assertEquals("2026-11-24T10:00:00.000001Z", first.get("time").asText());
        assertEquals("deploy", first.at("/fields/warrant/scope/action").asText(), "warrant exported as a nested object");
        assertEquals("not json", json.readTree(lines[1]).at("/fields/warrant").asText());
        assertEquals("2026-11-24T10:00:00.000000Z", json.readTree(lines[1]).get("time").asText(), "always six fractional digits");
        JsonNode vote = json.readTree(lines[2]);
        assertEquals("2026-11-24T10:00:00.000001Z", vote.get("time").asText());
        assertEquals(2, vote.get("index").asLong());
        assertFalse(vote.at("/fields/accepted").asBoolean());
        assertEquals(3, vote.at("/fields/n").asLong());
        assertTrue(vote.at("/fields/comment").isNull());
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        assertEquals(1, JsonLinesExporter.export(dir, 2, tail));
    }

    @Test
    void tailReadsFromAnIndexAndFollowsALiveLog() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 10);
            List<Long> got = new ArrayList<>();
            assertEquals(10, AuditTail.tail(dir, 6, false, 10, () -> true, d -> got.add(d.index())));
            assertEquals(List.of(6L, 7L, 8L, 9L), got);

            List<Long> followed = new CopyOnWriteArrayList<>();
            AtomicBoolean keepGoing = new AtomicBoolean(true);
            Thread follower = new Thread(() -> {
                try {
                    AuditTail.tail(dir, 8, true, 5, keepGoing::get, d -> followed.add(d.index()));
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            follower.start();
            appendEvents(log, 10, 5);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (followed.size() < 7 && System.nanoTime() < deadline) Thread.sleep(5);
            keepGoing.set(false);
            follower.join(5_000);
            assertEquals(List.of(8L, 9L, 10L, 11L, 12L, 13L, 14L), followed);
        }
    }

    @Test
    void reportCountsActionsTiersOutcomesDenialsAndApprovalLatency() {
        Path dir = tmp.resolve("audit");
        Instant t0 = Instant.parse("2026-11-24T09:00:00Z");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            // Allowed at T0 and executed.
            submitted(log, "a", "read_logs", t0);
            log.append(decision("a", "T0", "allow", List.of("reads-are-free"), t0));
            log.append(AuditEvent.of("a", t0, warrant("w-a")));
            log.append(AuditEvent.of("a", t0, new AuditPayload.ExecutionCompleted("ok", "00", 3L)));
            // Three approvals that took 10 s, 20 s, 60 s: two approved, one denied by an approver.
            long[] seconds = {10, 20, 60};
            for (int i = 0; i < 3; i++) {
                String id = "b" + i;
                submitted(log, id, "deploy", t0);
                log.append(decision(id, "T2", "approve", List.of("prod-needs-approval"), t0));
                log.append(AuditEvent.of(id, t0, new AuditPayload.ApprovalRequested("console", 1L, List.of(), 900_000L)));
                Instant end = t0.plusSeconds(seconds[i]);
                if (i < 2) log.append(AuditEvent.of(id, end, warrant("w-" + id)));
                else log.append(AuditEvent.of(id, end, new AuditPayload.IntentDenied("no", "alice", "approval")));
            }
            // Denied by policy.
            submitted(log, "c", "drop_table", t0);
            log.append(decision("c", "T3", "deny", List.of("never-drop", "prod-freeze"), t0));
            log.append(AuditEvent.of("c", t0, new AuditPayload.IntentDenied("policy", "never-drop", "policy")));
            // Timed out after 5 minutes.
            submitted(log, "d", "deploy", t0);
            log.append(decision("d", "T1", "approve", List.of("prod-needs-approval"), t0));
            log.append(AuditEvent.of("d", t0, new AuditPayload.ApprovalRequested("console", 1L, List.of(), 300_000L)));
            log.append(AuditEvent.of("d", t0.plusSeconds(300), new AuditPayload.IntentTimedOut("no decision", 300_000L)));
        }
        AuditReport r = AuditReport.of(dir);
        assertEquals(Map.of("read_logs", 1L, "deploy", 4L, "drop_table", 1L), r.intentsByAction());
        assertEquals(Map.of("T0", 1L, "T1", 1L, "T2", 3L, "T3", 1L), r.decisionsByTier());
        assertEquals(Map.of("completed", 1L, "approved", 2L, "denied", 2L, "timed_out", 1L), r.intentsByOutcome());
        assertEquals(Map.of("never-drop", 1L, "prod-freeze", 1L), r.denialsByRule());
        assertEquals(4, r.approvalsMeasured());
        assertEquals(Duration.ofSeconds(20), r.approvalP50());
        assertEquals(Duration.ofSeconds(300), r.approvalP95());
        assertEquals(Duration.ofSeconds(300), r.approvalMax());
        assertTrue(r.toText().contains("p50 20000 ms, p95 300000 ms, max 300000 ms"), r.toText());
    }

    private static void submitted(ChronicleAuditLog log, String id, String action, Instant t) {
        log.append(AuditEvent.of(id, t, new AuditPayload.IntentSubmitted(action, "r", "agent-1", null, null, null, null, "{}", "00", null)));
    }

    private static AuditEvent decision(String id, String tier, String effect, List<String> rules, Instant t) {
        return AuditEvent.of(id, t, new AuditPayload.Decision("x", tier, effect, rules, "v1", 0, List.of(), false, "because",
                effect.equals("deny") ? rules : List.of()));
    }

    private static AuditPayload.WarrantIssued warrant(String id) {
        return new AuditPayload.WarrantIssued(id, "{}", List.of(), "2026-11-24T10:00:00.000Z");
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
