package dev.magistrate.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.AutoApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Governor;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.warrant.ConsumedWarrantLedger;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command of {@code java -jar magistrate-agent.jar} as a user runs it: a child JVM on the built
 * jar, real files. The audit trail is written by a real {@link Governor} deciding with the sample ops
 * policy (auto approvals), so the warrants in it are the ones the agent would issue.
 */
class MagistrateCliIT {

    static final Path OPS_POLICY = Path.of("../samples/ops-agent/policies/ops-policy.yaml").toAbsolutePath();
    static final Path OPS_TESTS = Path.of("../samples/ops-agent/policies/ops-policy.test.yaml").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path keys;
    static Path audit;
    static Path auditBefore;   // a copy of the audit directory taken earlier: what a rollback restores
    static Path publicKey;      // warrant/KEYID.ed25519.pub: verifies approved warrants
    static Path logPublicKey;   // log/KEYID.ed25519.pub: verifies the audit log's checkpoints
    static Path hmacKey;
    static Warrant scaleWarrant;      // T2, Ed25519, auto-approved, never used
    static Warrant healthWarrant;     // T0, HMAC, used by the governor
    static long entries;
    static long entriesBefore;
    static Map<String, Object> scaleArgs = Map.of("service", "web", "from", 10, "to", 25);

    @BeforeAll
    static void writeARealAuditTrail() throws Exception {
        keys = tmp.resolve("keys");
        audit = tmp.resolve("audit");
        KeyDirectory keyDir = KeyDirectory.openOrCreate(keys);
        KeySet warrantKeys = keyDir.warrantKeys();
        publicKey = warrantKeys.path().resolve(warrantKeys.signingKey(SignatureAlgorithm.ED25519).keyId() + ".ed25519.pub");
        KeySet logKeys = keyDir.keys(KeyPurpose.LOG);
        logPublicKey = logKeys.path().resolve(logKeys.signingKey(SignatureAlgorithm.ED25519).keyId() + ".ed25519.pub");
        hmacKey = warrantKeys.path().resolve(warrantKeys.signingKey(SignatureAlgorithm.HMAC_SHA256).keyId() + ".hmac-sha256.key");
        CompiledPolicy policy = PolicyCompiler.compile(PolicyLoader.load(OPS_POLICY));

        runGovernor(keyDir, policy, g -> {
            Map<String, Object> health = Map.of("service", "web");
            healthWarrant = g.authorize(intent("health_check").agent("ops-agent").args(health).build());
            g.verify(healthWarrant, "health_check", health).completed("healthy");
            scaleWarrant = g.authorize(intent("scale_service").agent("cost-agent").estimatedCost(3900).args(scaleArgs).build());
            assertThrows(DeniedException.class, () -> g.authorize(intent("run_database_operation").agent("ops-agent")
                    .args(Map.of("sql", "DROP TABLE users", "table", "users")).build()));
            // T3 with MFA: the auto backend cannot supply TOTP codes, so the engine denies it.
            assertThrows(DeniedException.class, () -> g.authorize(intent("scale_service").agent("cost-agent")
                    .estimatedCost(47000).args(Map.of("service", "web", "from", 10, "to", 200)).build()));
        });
        auditBefore = tmp.resolve("audit-before");
        copyTree(audit, auditBefore);
        entriesBefore = countEntries(auditBefore);
        runGovernor(keyDir, policy, g -> {
            Map<String, Object> health = Map.of("service", "db");
            Warrant w = g.authorize(intent("health_check").agent("ops-agent").args(health).build());
            g.verify(w, "health_check", health).completed("healthy");
        });
        entries = countEntries(audit);
        assertTrue(entries > entriesBefore && entriesBefore > 10, entriesBefore + " then " + entries);
        Files.writeString(tmp.resolve("scale-warrant.json"), scaleWarrant.toJson());
        Files.writeString(tmp.resolve("health-warrant.json"), healthWarrant.toJson());
    }

    /** Submitted at 14:00 UTC today: the sample policy's night-time rule must not make the tiers depend on when the test runs. */
    static Intent.Builder intent(String action) {
        return Intent.builder(action).submittedAt(java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(14, 0).toInstant(java.time.ZoneOffset.UTC));
    }

    interface Scenario {
        void run(Governor g) throws Exception;
    }

    private static void runGovernor(KeyDirectory keyDir, CompiledPolicy policy, Scenario s) throws Exception {
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(audit, "magistrate/audit", keyDir.logKeys()));
             ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(audit.resolve("consumed-warrants.log"));
             Governor g = Governor.builder().policy(policy).approvalBackend(new AutoApprovalBackend()).keys(keyDir).ledger(ledger)
                     .audit(log).build()) {
            s.run(g);
        }
    }

    /** Entries counted by reading the queue directly, not through the verifier under test. */
    static long countEntries(Path dir) {
        long n = 0;
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            while (r.nextEntry() != null) n++;
        }
        return n;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().equals(ChronicleAuditLog.LOCK_FILE)) continue;
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    static CliRun.Result cli(String... args) throws Exception {
        return CliRun.run(tmp, args);
    }

    static String s(Path p) {
        return p.toString();
    }

    // ---- help and usage errors ----

    @Test
    void everyLevelHasHelpAndUsageErrorsExitTwo() throws Exception {
        CliRun.Result root = cli("--help").expect(0);
        for (String command : List.of("policy", "audit", "warrant", "keys")) assertTrue(root.out().contains(command), root.toString());
        assertTrue(cli("audit", "verify", "--help").expect(0).out().contains("--public-key"));
        assertTrue(cli("warrant", "verify", "--help").expect(0).out().contains("single use"));
        assertTrue(cli("policy", "eval", "--help").expect(0).out().contains("--action"));

        assertTrue(cli().expect(2).err().contains("missing command"));
        assertTrue(cli("frobnicate").expect(2).err().contains("Unmatched argument"));
        assertTrue(cli("audit", "verify").expect(2).err().contains("Missing required parameter"));
        assertTrue(cli("audit", "verify", s(audit)).expect(2).err().contains("--public-key"));
        assertTrue(cli("audit", "verify", s(tmp.resolve("nowhere")), "--keys", s(keys)).expect(2).err()
                .contains("no audit directory at " + tmp.resolve("nowhere")));
        assertTrue(cli("audit", "prove", s(audit), "--keys", s(keys), "--entry", "seven").expect(2).err().contains("--entry"));
    }

    // ---- policy ----

    @Test
    void policyCheckEvalAndTestOnTheSamplePolicy() throws Exception {
        assertTrue(cli("policy", "check", s(OPS_POLICY)).expect(0).firstLine().matches("OK \\d+ rules in 1 path"));

        Path broken = tmp.resolve("broken.yaml");
        Files.writeString(broken, "version: \"1\"\ndefault: T1\npolicies:\n  - name: bad\n    condition: \"action ==\"\n    risk_tier: T0\n");
        CliRun.Result r = cli("policy", "check", s(broken)).expect(1);
        assertTrue(r.err().contains("broken.yaml:5:"), r.toString());

        JsonNode d = JSON.readTree(cli("policy", "eval", s(OPS_POLICY), "--action", "scale_service", "--cost", "47000",
                "--arg", "service=web", "--arg", "to=200", "--json").expect(0).out());
        assertEquals("approve", d.get("effect").asText());
        assertEquals("T3", d.get("tier").asText());
        assertTrue(d.get("mfa").asBoolean());
        assertTrue(d.get("rules").toString().contains("High-Cost Infrastructure"), d.toString());

        assertTrue(cli("policy", "eval", s(OPS_POLICY)).expect(2).err().contains("--action"));
        CliRun.Result t = cli("policy", "test", s(OPS_TESTS)).expect(0);
        assertTrue(t.out().contains(" 0 failed"), t.toString());
    }

    // ---- audit verify ----

    @Test
    void verifyReportsOkWithThePublicKeyAloneOrWithTheKeyDirectory() throws Exception {
        Path auditorsCopy = Files.createDirectories(tmp.resolve("auditor")).resolve(logPublicKey.getFileName());
        Files.copy(logPublicKey, auditorsCopy);
        assertEquals("OK " + entries + " entries", cli("audit", "verify", s(audit), "--public-key", s(auditorsCopy)).expect(0).out().strip());
        assertEquals("OK " + entries + " entries", cli("audit", "verify", s(audit), "--keys", s(keys)).expect(0).out().strip());

        // The verifier key that keys generate prints is accepted too; a wrong key is not.
        Path vkey = tmp.resolve("audit.vkey");
        Files.writeString(vkey, new dev.magistrate.audit.CheckpointVerifier("magistrate-" + keyId(logPublicKey),
                java.util.Base64.getDecoder().decode(Files.readString(logPublicKey).strip())).verifierKey() + "\n");
        assertEquals("OK " + entries + " entries", cli("audit", "verify", s(audit), "--public-key", s(vkey)).expect(0).out().strip());
        Path other = KeyDirectory.openOrCreate(tmp.resolve("other-keys")).keys(KeyPurpose.LOG).path();
        Path otherPub;
        try (Stream<Path> f = Files.list(other)) {
            otherPub = f.filter(p -> p.toString().endsWith(".ed25519.pub")).findFirst().orElseThrow();
        }
        CliRun.Result wrong = cli("audit", "verify", s(audit), "--public-key", s(otherPub)).expect(1);
        assertTrue(wrong.out().startsWith("TAMPERED at entry 0: checkpoint signature bad"), wrong.toString());
    }

    @Test
    void aFlippedByteInTheQueueIsReportedAtItsEntry() throws Exception {
        Path tampered = tmp.resolve("audit-tampered");
        copyTree(audit, tampered);
        long index = -1;
        try (AuditLogReader r = AuditLogReader.open(tampered)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) {
                if (d.event().type() == AuditEventType.INTENT_SUBMITTED && String.valueOf(d.event().fields().get("args")).contains("DROP TABLE")) {
                    index = d.index();
                    break;
                }
            }
        }
        assertTrue(index > 0);
        flipFirst(cycleFile(tampered), "DROP TABLE", (byte) 'd');

        CliRun.Result r = cli("audit", "verify", s(tampered), "--public-key", s(logPublicKey)).expect(1);
        assertTrue(r.out().startsWith("TAMPERED at entry " + index + ": content changed"), r.toString());
        // The other commands refuse to vouch for it either.
        CliRun.Result p = cli("audit", "prove", s(tampered), "--entry", String.valueOf(index), "--keys", s(keys)).expect(1);
        assertTrue(p.out().startsWith("NOT PROVEN"), p.toString());
        assertTrue(cli("audit", "consistency", s(auditBefore.resolve("checkpoint")), s(tampered), "--public-key", s(logPublicKey))
                .expect(1).out().startsWith("INCONSISTENT"));
        // Same size: the proof itself is empty, so the directory's entries must be checked against the checkpoint.
        CliRun.Result same = cli("audit", "consistency", s(audit.resolve("checkpoint")), s(tampered), "--public-key", s(logPublicKey)).expect(1);
        assertTrue(same.out().startsWith("INCONSISTENT: the log in " + tampered + " does not match"), same.toString());
    }

    @Test
    void aRolledBackDirectoryIsCaughtOnlyByACheckpointKeptElsewhere() throws Exception {
        // On its own the older copy is a consistent, validly signed log.
        assertEquals("OK " + entriesBefore + " entries", cli("audit", "verify", s(auditBefore), "--keys", s(keys)).expect(0).out().strip());
        CliRun.Result r = cli("audit", "verify", s(auditBefore), "--keys", s(keys), "--checkpoint", s(audit.resolve("checkpoint"))).expect(1);
        assertTrue(r.out().startsWith("TAMPERED at entry " + entriesBefore + ": log truncated or rolled back"), r.toString());
        assertEquals("OK " + entries + " entries",
                cli("audit", "verify", s(audit), "--keys", s(keys), "--checkpoint", s(auditBefore.resolve("checkpoint"))).expect(0).out().strip());

        // A "checkpoint kept elsewhere" that this key did not sign proves nothing, and says so.
        Path forged = tmp.resolve("forged-checkpoint");
        Files.writeString(forged, Files.readString(audit.resolve("checkpoint")).replaceFirst("\n" + entries + "\n", "\n" + (entries + 5) + "\n"));
        CliRun.Result bad = cli("audit", "verify", s(audit), "--keys", s(keys), "--checkpoint", s(forged)).expect(1);
        assertTrue(bad.out().startsWith("INVALID checkpoint " + forged + ":"), bad.toString());

        CliRun.Result c = cli("audit", "consistency", s(auditBefore.resolve("checkpoint")), s(audit), "--public-key", s(logPublicKey)).expect(0);
        assertTrue(c.out().startsWith("CONSISTENT: the log signed for " + entriesBefore + " entries is a prefix of the log signed for "
                + entries + " entries"), c.toString());
        assertTrue(cli("audit", "consistency", s(audit.resolve("checkpoint")), s(auditBefore), "--public-key", s(logPublicKey))
                .expect(1).out().startsWith("INCONSISTENT: log truncated or rolled back"));
    }

    @Test
    void anUnsignedTailIsAWarningAndTailFollowsALiveLog() throws Exception {
        Path live = tmp.resolve("audit-live");
        KeyDirectory keyDir = KeyDirectory.open(keys);
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(live, "magistrate/audit", keyDir.logKeys())
                .withCheckpointEvery(0, 0))) {
            for (int i = 0; i < 3; i++) log.append(AuditEvent.of(AuditEventType.INTENT_SUBMITTED, "live-" + i, Instant.now(), "action", "deploy"));
            CliRun.Result v = cli("audit", "verify", s(live), "--keys", s(keys)).expect(0);
            assertTrue(v.out().startsWith("OK 3 entries, WARNING unsigned tail from entry 0"), v.toString());

            Process follow = CliRun.start(tmp, "audit", "tail", s(live), "-f", "--poll", "50");
            try {
                awaitOutput(follow, "\"intent_id\":\"live-2\"");
                log.append(AuditEvent.of(AuditEventType.INTENT_SUBMITTED, "live-3", Instant.now(), "action", "deploy"));
                String out = awaitOutput(follow, "\"intent_id\":\"live-3\"");
                List<Long> indexes = new ArrayList<>();
                for (String line : out.strip().split("\n")) indexes.add(JSON.readTree(line).get("index").asLong());
                assertEquals(List.of(0L, 1L, 2L, 3L), indexes);
                assertTrue(follow.isAlive(), "-f keeps following");
            } finally {
                follow.destroy();
                follow.waitFor();
            }
        }
    }

    private static String awaitOutput(Process p, String expected) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            String out = CliRun.stdoutSoFar(p);
            if (out.contains(expected)) return out;
            if (!p.isAlive()) break;
            Thread.sleep(50);
        }
        throw new AssertionError("no " + expected + " from audit tail -f; it printed:\n" + CliRun.stdoutSoFar(p)
                + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    // ---- audit prove, export, tail, report ----

    @Test
    void proveShowsOneEntryAgainstTheSignedCheckpoint() throws Exception {
        CliRun.Result r = cli("audit", "prove", s(audit), "--entry", "3", "--keys", s(keys)).expect(0);
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("PROVEN: entry 3 is in the log 'magistrate/audit' signed for " + entries + " entries"), r.toString());
        assertEquals(3, JSON.readTree(lines.get(2)).get("index").asLong());

        JsonNode proof = JSON.readTree(cli("audit", "prove", s(audit), "--entry", "3", "--public-key", s(logPublicKey), "--json").expect(0).out());
        assertTrue(proof.get("entry").asText().startsWith("{\"index\":3,"));
        assertFalse(proof.get("path").isEmpty());
        assertTrue(cli("audit", "prove", s(audit), "--entry", String.valueOf(entries), "--keys", s(keys)).expect(1).out()
                .startsWith("NOT PROVEN: entry " + entries + " is not covered"));
    }

    @Test
    void exportCarriesWholeWarrantsThatVerifyOffline() throws Exception {
        CliRun.Result r = cli("audit", "export", s(audit)).expect(0);
        List<String> lines = r.out().lines().toList();
        assertEquals(entries, lines.size());
        JsonNode issued = null;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            assertEquals(i, line.get("index").asLong());
            if (line.get("type").asText().equals("WARRANT_ISSUED")
                    && line.get("fields").get("warrant_id").asText().equals(scaleWarrant.warrantId())) issued = line;
        }
        assertNotNull(issued, "the scale warrant is exported");
        JsonNode w = issued.get("fields").get("warrant");
        assertTrue(w.isObject() && w.get("signature").asText().length() > 80, w.toString());
        Path exported = tmp.resolve("exported-warrant.json");
        Files.writeString(exported, JSON.writeValueAsString(w));
        // Offline, elsewhere: the public key file alone, in a directory of its own.
        Path verifierOnly = Files.createDirectories(tmp.resolve("offline-verifier")).resolve(publicKey.getFileName());
        Files.copy(publicKey, verifierOnly);
        assertEquals("VALID", cli("warrant", "verify", s(exported), "--key", s(verifierOnly), "--action", "scale_service",
                "--arg", "service=web", "--arg", "from=10", "--arg", "to=25").expect(0).firstLine());

        assertTrue(cli("audit", "export", s(audit), "--from", String.valueOf(entries - 1)).expect(0).out().strip()
                .startsWith("{\"index\":" + (entries - 1) + ","));
    }

    @Test
    void tailPrintsTheLastEntries() throws Exception {
        List<String> lines = cli("audit", "tail", s(audit), "-n", "2").expect(0).out().lines().toList();
        assertEquals(2, lines.size());
        assertEquals(entries - 2, JSON.readTree(lines.get(0)).get("index").asLong());
        assertEquals(entries - 1, JSON.readTree(lines.get(1)).get("index").asLong());
    }

    @Test
    void reportCountsTheScenario() throws Exception {
        String out = cli("audit", "report", s(audit)).expect(0).out();
        assertTrue(out.startsWith("entries: " + entries + "\n"), out);
        assertTrue(out.contains("  health_check: 2\n") && out.contains("  scale_service: 2\n") && out.contains("  run_database_operation: 1\n"), out);
        // "No DROP" names no tier, so the denial counts as T3; only the rule that denied counts as a denial,
        // not "Database writes", which matched the same DROP without denying it.
        assertTrue(out.contains("decisions by tier:\n  T0: 2\n  T2: 1\n  T3: 2\n"), out);
        assertTrue(out.contains("denials by rule:\n  No DROP: 1\n"), out);
        assertTrue(out.contains("  completed: 2\n") && out.contains("  approved: 1\n") && out.contains("  denied: 2\n"), out);
        assertTrue(out.matches("(?s).*approval latency \\(2 approvals\\): p50 \\d+ ms, p95 \\d+ ms, max \\d+ ms\n"), out);
    }

    // ---- warrant verify ----

    @Test
    void anIssuedWarrantIsValidForItsCallAndOnlyForIt() throws Exception {
        String w = s(tmp.resolve("scale-warrant.json"));
        CliRun.Result ok = cli("warrant", "verify", w, "--key", s(publicKey), "--action", "scale_service",
                "--arg", "service=web", "--arg", "from=10", "--arg", "to=25").expect(0);
        assertEquals("VALID", ok.firstLine());
        assertTrue(ok.out().contains("not checkable offline: single use"), ok.toString());

        CliRun.Result noCall = cli("warrant", "verify", w, "--key", s(publicKey)).expect(0);
        assertTrue(noCall.out().contains("not checked: action, constraints and arguments"), noCall.toString());

        assertEquals("INVALID: args_mismatch", prefix(cli("warrant", "verify", w, "--key", s(publicKey), "--action", "scale_service",
                "--arg", "service=web", "--arg", "from=10", "--arg", "to=200").expect(1)));
        assertEquals("INVALID: action_mismatch", prefix(cli("warrant", "verify", w, "--key", s(publicKey), "--action", "terminate_instances",
                "--arg", "service=web").expect(1)));
        CliRun.Result expired = cli("warrant", "verify", w, "--key", s(publicKey), "--at", "2099-01-01T00:00:00Z").expect(1);
        assertEquals("INVALID: expired", prefix(expired));

        // Verifying did not use the warrant up: the agent's own ledger still accepts it once.
        try (ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(audit.resolve("consumed-warrants.log"))) {
            assertTrue(ledger.consume(scaleWarrant.warrantId(), scaleWarrant.expiresAt()));
        }
    }

    @Test
    void aMutatedOrForeignWarrantIsInvalid() throws Exception {
        ObjectNode mutated = (ObjectNode) JSON.readTree(scaleWarrant.toJson());
        ((ArrayNode) mutated.putArray("approved_by")).add("mallory");
        Path m = tmp.resolve("mutated.json");
        Files.writeString(m, JSON.writeValueAsString(mutated));
        assertEquals("INVALID: bad_signature", prefix(cli("warrant", "verify", s(m), "--key", s(publicKey)).expect(1)));

        ObjectNode lowered = (ObjectNode) JSON.readTree(scaleWarrant.toJson());
        lowered.put("tier", "T0");
        Files.writeString(m, JSON.writeValueAsString(lowered));
        assertEquals("INVALID: bad_signature", prefix(cli("warrant", "verify", s(m), "--key", s(publicKey)).expect(1)));

        ObjectNode extra = (ObjectNode) JSON.readTree(scaleWarrant.toJson());
        extra.put("admin", true);
        Files.writeString(m, JSON.writeValueAsString(extra));
        CliRun.Result malformed = cli("warrant", "verify", s(m), "--key", s(publicKey)).expect(1);
        assertEquals("INVALID: malformed", prefix(malformed));
        assertTrue(malformed.out().contains("admin"), malformed.toString());

        // An HMAC warrant verifies with the secret only; the public key names another key.
        String h = s(tmp.resolve("health-warrant.json"));
        assertEquals("VALID", cli("warrant", "verify", h, "--key", s(hmacKey), "--action", "health_check", "--arg", "service=web")
                .expect(0).firstLine());
        assertEquals("INVALID: unknown_key", prefix(cli("warrant", "verify", h, "--key", s(publicKey)).expect(1)));

        assertTrue(cli("warrant", "verify", h, "--key", s(hmacKey), "--arg", "service=web").expect(2).err().contains("--arg needs --action"));
        assertTrue(cli("warrant", "verify", s(tmp.resolve("none.json")), "--key", s(publicKey)).expect(2).err().contains("none.json"));
        String privateKey = s(publicKey).replace(".ed25519.pub", ".ed25519.key");
        assertTrue(cli("warrant", "verify", h, "--key", privateKey).expect(2).err().contains("is a private key"));
    }

    private static String prefix(CliRun.Result r) {
        String line = r.firstLine();
        int second = line.indexOf(':', "INVALID: ".length());
        return second < 0 ? line : line.substring(0, second);
    }

    @Test
    void theSameJarRunsOnJdk25() throws Exception {
        Path jdk25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(jdk25), "no Temurin 25 on this machine");
        assertEquals("OK " + entries + " entries",
                CliRun.runWith(jdk25.toString(), tmp, "audit", "verify", s(audit), "--public-key", s(logPublicKey)).expect(0).out().strip());
        assertEquals("VALID", CliRun.runWith(jdk25.toString(), tmp, "warrant", "verify", s(tmp.resolve("scale-warrant.json")),
                "--key", s(publicKey)).expect(0).firstLine());
    }

    // ---- keys ----

    @Test
    void keysGeneratePrintsIdsAndThePublicKeyButNoSecret() throws Exception {
        Path dir = tmp.resolve("new-keys");
        CliRun.Result r = cli("keys", "generate", s(dir)).expect(0);
        List<Path> files;
        try (Stream<Path> f = Files.walk(dir)) {
            files = f.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.endsWith(".key")) {
                String secret = Files.readString(f).strip();
                assertFalse(r.out().contains(secret) || r.err().contains(secret), "a secret was printed");
                assertTrue(r.out().contains(name.substring(0, name.indexOf('.'))), "key id of " + name + " printed: " + r);
            }
        }
        Path pub = files.stream().filter(f -> f.toString().endsWith(".ed25519.pub") && f.getParent().endsWith("log")).findFirst().orElseThrow();
        assertTrue(r.out().contains("log public key: " + pub.toAbsolutePath()), r.toString());
        String vkey = r.out().lines().filter(l -> l.startsWith("audit checkpoint verifier key: ")).findFirst().orElseThrow()
                .substring("audit checkpoint verifier key: ".length());
        assertTrue(vkey.startsWith("magistrate-" + keyId(pub) + "+"), vkey);
        assertTrue(cli("keys", "generate", s(dir)).expect(2).err().contains("already holds keys"));
    }

    static String keyId(Path keyFile) {
        String name = keyFile.getFileName().toString();
        return name.substring(0, name.indexOf('.'));
    }

    // ---- helpers ----

    static Path cycleFile(Path dir) throws IOException {
        try (Stream<Path> f = Files.list(dir)) {
            return f.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
    }

    /** Overwrites the first byte of the first occurrence of {@code marker} in the file. */
    static void flipFirst(Path file, String marker, byte replacement) throws IOException {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            outer:
            for (int i = 0; i + m.length <= b.limit(); i++) {
                for (int j = 0; j < m.length; j++) if (b.get(i + j) != m[j]) continue outer;
                b.put(i, replacement);
                b.force();
                return;
            }
        }
        throw new AssertionError(marker + " not found in " + file);
    }
}
