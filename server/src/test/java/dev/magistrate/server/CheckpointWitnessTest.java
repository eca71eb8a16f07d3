package dev.magistrate.server;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.LogProofs;
import dev.magistrate.server.FleetFixture.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service as the witness of agents' audit logs, on a real PostgreSQL with two replicas: real Chronicle logs on disk
 * sign real checkpoints, and their consistency proofs are built from the entries on disk. Each test has its own agent
 * and log key, so the heads do not meet.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointWitnessTest {

    FleetFixture fleet;
    FleetServer a;
    FleetServer b;
    Path dir;

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        this.dir = dir;
        fleet = new FleetFixture(dir);
        a = fleet.replica("replica-a");
        b = fleet.replica("replica-b");
    }

    @AfterAll
    void stop() throws IOException {
        fleet.close();
    }

    /** A real audit log signed by {@code key}, checkpoints signed only when asked. */
    static final class Log implements AutoCloseable {
        final ChronicleAuditLog log;
        private int written;
        private final String tag;

        Log(Path dir, CheckpointSigner key, String tag) {
            this.log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir, "magistrate/audit", key).withCheckpointEvery(0, 0));
            this.tag = tag;
        }

        /** Appends {@code n} entries (different ones per tag: two logs with two tags are two histories) and signs a checkpoint. */
        String grow(int n) {
            for (int i = 0; i < n; i++) {
                log.append(AuditEvent.of("i-" + tag + "-" + written++, Instant.parse("2026-11-30T18:00:00Z"), new AuditPayload.ExecutionStarted("w-" + tag)));
            }
            return log.checkpoint();
        }

        List<String> proof(String older, String newer) {
            List<String> out = new ArrayList<>();
            for (byte[] h : LogProofs.proveConsistency(log.directory(), older, newer).path()) out.add(Base64.getEncoder().encodeToString(h));
            return out;
        }

        @Override
        public void close() {
            log.close();
        }
    }

    static CheckpointSigner newKey(String name) {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        return CheckpointSigner.fromSeed(name, seed);
    }

    String enroll(String agent, CheckpointSigner key) {
        return a.service().enrollAgent(agent, key.verifier().verifierKey());
    }

    Reply ship(FleetServer to, String token, String note, Long fromSize, List<String> proof) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("checkpoint", note);
        if (fromSize != null) body.put("from_size", fromSize);
        if (proof != null) body.put("proof", proof);
        return fleet.post(to, "/v1/checkpoints", token, body);
    }

    long headSize(String token) {
        Reply h = fleet.get(b, "/v1/checkpoints/head", token);
        assertEquals(200, h.status(), h.body().toString());
        return h.body().path("witnessed").asBoolean() ? h.body().path("tree_size").asLong() : -1;
    }

    String pinnedLogKey(String agent) throws java.sql.SQLException {
        try (var c = fleet.postgres.getPostgresDatabase().getConnection(); var ps = c.prepareStatement("SELECT log_key FROM agents WHERE id = ?")) {
            ps.setString(1, agent);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    long alarms(String agent, String kind) {
        return fleet.count("SELECT count(*) FROM alarms WHERE agent_id = ? AND kind = ?", agent, kind);
    }

    @Test
    void successiveCheckpointsAreAcceptedThroughEitherReplicaAndAReplayIsHarmless() {
        CheckpointSigner key = newKey("magistrate-ops");
        String token = enroll("ops-log", key);
        assertEquals(-1, headSize(token), "nothing witnessed yet");
        try (Log log = new Log(dir.resolve("ops-log"), key, "ops")) {
            String cp3 = log.grow(3);
            Reply first = ship(a, token, cp3, null, null);
            assertEquals(200, first.status(), first.body().toString());
            assertEquals("accepted", first.text("status"));
            assertEquals(3, headSize(token));

            String cp8 = log.grow(5);
            Reply second = ship(b, token, cp8, 3L, log.proof(cp3, cp8));
            assertEquals("accepted", second.text("status"), second.body().toString());
            assertEquals(8, second.body().path("head").path("tree_size").asLong());
            assertEquals(cp8, fleet.get(a, "/v1/checkpoints/head", token).text("checkpoint"), "the head is served as it was signed");

            // A proof from a head the witness no longer holds: refused as stale, with the head to prove from; no alarm.
            String cp13 = log.grow(5);
            Reply stale = ship(a, token, cp13, 3L, log.proof(cp3, cp13));
            assertEquals(409, stale.status());
            assertEquals("stale_head", stale.text("refusal"));
            assertEquals(8, stale.body().path("head").path("tree_size").asLong());
            assertEquals("accepted", ship(a, token, cp13, 8L, log.proof(cp8, cp13)).text("status"));

            // Replays: the head again is unchanged, an older witnessed checkpoint is harmless; the head stays.
            assertEquals("unchanged", ship(b, token, cp13, 13L, List.of()).text("status"));
            Reply replay = ship(b, token, cp3, null, null);
            assertEquals(200, replay.status(), replay.body().toString());
            assertEquals("replayed", replay.text("status"));
            assertEquals(13, headSize(token));
            assertEquals(0, alarms("ops-log", "fork") + alarms("ops-log", "rollback"));
            assertEquals(3, fleet.count("SELECT count(*) FROM checkpoints WHERE agent_id = 'ops-log'"));
        }
    }

    @Test
    void aForkTwoLogsSignedWithOneKeyIsRefusedAndAlarmed() {
        CheckpointSigner key = newKey("magistrate-forked");
        String token = enroll("forked-log", key);
        try (Log honest = new Log(dir.resolve("honest"), key, "honest"); Log other = new Log(dir.resolve("other"), key, "other")) {
            String cp4 = honest.grow(4);
            assertEquals("accepted", ship(a, token, cp4, null, null).text("status"));

            String other4 = other.grow(4);
            Reply sameSize = ship(b, token, other4, 4L, List.of());
            assertEquals(409, sameSize.status());
            assertEquals("fork", sameSize.text("refusal"), sameSize.body().toString());
            assertEquals(1, alarms("forked-log", "fork"));

            // The other history, grown past the head, with its own (valid) proof from its own 4 entries: the proof fails.
            String other9 = other.grow(5);
            Reply longer = ship(a, token, other9, 4L, other.proof(other4, other9));
            assertEquals(409, longer.status());
            assertEquals("fork", longer.text("refusal"), longer.body().toString());
            assertTrue(longer.text("error").contains("consistency proof"), longer.text("error"));
            assertEquals(2, alarms("forked-log", "fork"));
            assertEquals(4, headSize(token), "the head does not move");
            assertEquals(1, fleet.count("SELECT count(*) FROM alarms WHERE agent_id = 'forked-log' AND refused_note = ?", other9),
                    "the refused note is kept as evidence");
            assertTrue(fleet.count("SELECT count(*) FROM refusals WHERE route = 'POST /v1/checkpoints' AND principal = 'forked-log' AND status = 409") >= 2);
        }
    }

    @Test
    void aRollbackToACheckpointNeverWitnessedIsRefusedAndAlarmed() {
        CheckpointSigner key = newKey("magistrate-rolled");
        String token = enroll("rolled-log", key);
        try (Log log = new Log(dir.resolve("rolled"), key, "rolled")) {
            String cp3 = log.grow(3);
            String cp6 = log.grow(3);
            String cp10 = log.grow(4);
            assertEquals("accepted", ship(a, token, cp3, null, null).text("status"));
            assertEquals("accepted", ship(a, token, cp10, 3L, log.proof(cp3, cp10)).text("status"));
            Reply back = ship(b, token, cp6, 10L, List.of());
            assertEquals(409, back.status());
            assertEquals("rollback", back.text("refusal"), back.body().toString());
            assertEquals(1, alarms("rolled-log", "rollback"));
            assertEquals(10, headSize(token));
        }
    }

    @Test
    void aCheckpointNotSignedByThePinnedKeyIsRefusedAndAnAgentWithoutAKeyToo() {
        CheckpointSigner pinned = newKey("magistrate-pinned");
        CheckpointSigner impostor = newKey("magistrate-pinned"); // same name, another key
        String token = enroll("signed-log", pinned);
        try (Log log = new Log(dir.resolve("impostor"), impostor, "impostor")) {
            Reply bad = ship(a, token, log.grow(2), null, null);
            assertEquals(400, bad.status());
            assertEquals("bad_signature", bad.text("refusal"), bad.body().toString());
            assertEquals("checkpoint", bad.text("field"));
            assertEquals(-1, headSize(token));

            String unpinned = a.service().enrollAgent("no-key-log");
            Reply none = ship(b, unpinned, log.grow(1), null, null);
            assertEquals(403, none.status());
            assertEquals("no_log_key", none.text("refusal"));
        }
        Reply garbage = ship(a, token, "not a note", null, List.of("AAAA"));
        assertEquals(400, garbage.status());
        assertEquals("proof[0]", garbage.text("field"));
    }

    @Test
    void anEngineShipsEachCheckpointAndAuditVerifyWitnessCatchesARolledBackAndAForkedCopy() throws Exception {
        Path keys = dir.resolve("engine-keys");
        Path audit = dir.resolve("engine-audit");
        Ed25519Key logKey = (Ed25519Key) KeyDirectory.openOrCreate(keys).keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519);
        // Enrolled by the real command, pinning the key directory's public log key file as it is.
        Cli enrolled = java(ServerMain.class, "enroll-agent", "engine-agent", "--db", fleet.jdbcUrl(),
                "--log-key", keys.resolve("log").resolve(logKey.keyId() + ".ed25519.pub").toString());
        assertEquals(0, enrolled.exit(), enrolled.out());
        String token = enrolled.out().lines().filter(l -> l.startsWith("mgt_")).findFirst().orElseThrow();
        assertEquals(logKey.checkpointVerifier().verifierKey(), pinnedLogKey("engine-agent"));
        Path tokenFile = dir.resolve("engine-agent.token");
        Files.writeString(tokenFile, token + "\n");
        // The first URL refuses connections: the shipper fails over to the replica behind it.
        FleetSettings toFleet = new FleetSettings(List.of(URI.create("http://127.0.0.1:1"), URI.create("http://127.0.0.1:" + a.port())), tokenFile, null);
        MagistrateSettings.Builder settings = MagistrateSettings.builder().policy(agentPolicy()).keysDirectory(keys).agentId("engine-agent")
                .telemetry(false).signalsJmx(false).fleet(toFleet);

        try (Magistrate m = Magistrate.open(settings.auditDirectory(audit).build())) {
            for (int i = 0; i < 5; i++) m.admit(m.intent("read_metrics").arg("service", "api").build()).completed("ok");
            awaitEverythingWitnessed(token, audit);
        }
        Path backup = copy(audit, dir.resolve("engine-audit-backup"));
        long backupSize = headSize(token);
        try (Magistrate m = Magistrate.open(settings.auditDirectory(audit).build())) {
            for (int i = 0; i < 5; i++) m.admit(m.intent("read_metrics").arg("service", "db").build()).completed("ok");
            awaitEverythingWitnessed(token, audit);
        }
        long head = headSize(token);
        assertTrue(head > backupSize, head + " > " + backupSize);

        String witness = "http://127.0.0.1:" + b.port();
        Cli ok = cli("audit", "verify", audit.toString(), "--keys", keys.toString(), "--witness", witness, "--token-file", tokenFile.toString());
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("WITNESSED"), ok.out());

        Cli rolledBack = cli("audit", "verify", backup.toString(), "--keys", keys.toString(), "--witness", witness, "--token-file", tokenFile.toString());
        assertEquals(1, rolledBack.exit(), rolledBack.out());
        assertTrue(rolledBack.out().contains("ROLLED BACK: the witness saw " + head + " entries"), rolledBack.out());

        // The backup grown with other entries past the head, signed with the same log key: another history.
        Path forked = copy(backup, dir.resolve("engine-audit-forked"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(forked, Magistrate.AUDIT_ORIGIN,
                KeyDirectory.openOrCreate(keys).logKeys()).withCheckpointEvery(0, 0))) {
            for (long i = backupSize; i < head + 3; i++) log.append(AuditEvent.of("forged-" + i, Instant.now(), new AuditPayload.ExecutionStarted("w")));
        }
        Cli fork = cli("audit", "verify", forked.toString(), "--keys", keys.toString(), "--witness", witness, "--token-file", tokenFile.toString());
        assertEquals(1, fork.exit(), fork.out());
        assertTrue(fork.out().contains("FORKED"), fork.out());

        // An engine started on the forked log ships its checkpoint: refused as a fork, audited in the local log.
        try (Magistrate m = Magistrate.open(settings.auditDirectory(forked).build())) {
            long deadline = System.nanoTime() + 90_000_000_000L;
            AuditPayload.WitnessRefused refused = null;
            while (refused == null && System.nanoTime() < deadline) {
                Thread.sleep(200);
                refused = witnessRefused(forked);
            }
            assertTrue(refused != null, "a WITNESS_REFUSED entry within 90 s");
            assertEquals("fork", refused.refusal());
            assertEquals(409, refused.status());
            assertEquals(head, refused.witnessedSize());
        }
        assertEquals(1, alarms("engine-agent", "fork"));
        assertEquals(head, headSize(token), "the head does not move");
    }

    @Test
    void checkpointsSignedWhileNoReplicaAnswersAreCoveredByTheNextShipmentOnceOneDoes() throws Exception {
        Path keys = dir.resolve("late-keys");
        Path audit = dir.resolve("late-audit");
        Ed25519Key logKey = (Ed25519Key) KeyDirectory.openOrCreate(keys).keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519);
        String token = a.service().enrollAgent("late-agent", logKey.checkpointVerifier().verifierKey());
        Path tokenFile = dir.resolve("late-agent.token");
        Files.writeString(tokenFile, token);
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort(); // nothing listens there until the replica below starts
        }
        MagistrateSettings settings = MagistrateSettings.builder().policy(agentPolicy()).keysDirectory(keys).auditDirectory(audit)
                .agentId("late-agent").telemetry(false).signalsJmx(false)
                .fleet(new FleetSettings(List.of(URI.create("http://127.0.0.1:" + port)), tokenFile, null)).build();
        try (Magistrate m = Magistrate.open(settings)) {
            for (int i = 0; i < 3; i++) m.admit(m.intent("read_metrics").arg("service", "api").build()).completed("ok");
            long signed = 0;
            for (long deadline = System.nanoTime() + 60_000_000_000L; signed < entries(audit) && System.nanoTime() < deadline; ) {
                Thread.sleep(200);
                signed = signedSize(audit);
            }
            assertEquals(entries(audit), signed, "the calls' entries are signed while no replica answers");
            assertEquals(-1, headSize(token));
            try (FleetServer late = FleetServer.start(ServerOptions.parse(List.of("--policy", fleet.policy.toString(), "--approvers",
                    fleet.approvers.toString(), "--keys", fleet.keys.toString(), "--db", fleet.jdbcUrl(), "--port", String.valueOf(port),
                    "--replica", "replica-late", "--workers", "4")))) {
                m.admit(m.intent("read_metrics").arg("service", "db").build()).completed("ok");
                awaitEverythingWitnessed(token, audit);
                // Only the newest checkpoint is shipped: the first one witnessed already covers everything signed while down.
                assertTrue(fleet.count("SELECT min(tree_size) FROM checkpoints WHERE agent_id = 'late-agent'") >= signed);
            }
        }
    }

    private static long signedSize(Path audit) throws IOException {
        String note = Files.readString(audit.resolve(dev.magistrate.audit.AuditLogVerifier.CHECKPOINT_FILE));
        return dev.magistrate.audit.Checkpoint.parseBody(note.substring(0, note.indexOf("\n\n") + 1)).size();
    }

    /** Waits (generously: a loaded machine) until the witness's head is the log's latest checkpoint and it signs every entry. */
    private void awaitEverythingWitnessed(String token, Path audit) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            long entries = entries(audit);
            if (entries > 0 && headSize(token) == entries) return;
            Thread.sleep(200);
        }
        throw new AssertionError("the witness's head did not reach the log's " + entries(audit) + " entries within 90 s (head " + headSize(token) + ")");
    }

    private static long entries(Path audit) {
        long n = 0;
        try (AuditLogReader r = AuditLogReader.open(audit)) {
            while (r.nextEntry() != null) n++;
        }
        return n;
    }

    private static AuditPayload.WitnessRefused witnessRefused(Path audit) {
        try (AuditLogReader r = AuditLogReader.open(audit)) {
            CanonicalEntry.Decoded e;
            while ((e = r.nextEntry()) != null) {
                if (e.event().type() == AuditEventType.WITNESS_REFUSED) return (AuditPayload.WitnessRefused) e.event().payload();
            }
        }
        return null;
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals(ChronicleAuditLog.LOCK_FILE)) Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    record Cli(int exit, String out) {
    }

    /** {@code magistrate ARGS} in a child JVM: its exit status and its standard output and error. */
    private Cli cli(String... args) throws Exception {
        return java(WitnessCliMain.class, args);
    }

    /** {@code main} of this class in a child JVM on the test class path. */
    private static Cli java(Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // Chronicle needs this JVM's --add-opens/--add-exports (the build's argLine) in the child too.
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle.")) cmd.add(arg);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        return new Cli(p.exitValue(), out);
    }

    /** The engines' own policy: their approvals stay local here (the service is only their witness), so it reads no fleet window. */
    private Path agentPolicy() throws IOException {
        return Files.writeString(dir.resolve("agent-policy.yaml"), """
                default: T1
                policies:
                  - name: "Reads"
                    condition: "action == 'read_metrics'"
                    risk_tier: T0
                """);
    }
}
