package dev.magistrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Execution;
import dev.magistrate.intent.Intent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code audit evidence}: one approved call's bundle verifies offline with nothing but the jar, and each kind of
 * tampering with it is reported (issue 15, "one evidence bundle per intent").
 */
class EvidenceCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path audit, keys, policy, bundle;
    String intentId;

    record Run(int status, String out) {
    }

    /** Runs the CLI; audit commands print to the process's standard output, so it is captured there. */
    static synchronized Run cli(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
        int status;
        try {
            System.setOut(capture);
            status = MagistrateCli.run(args, capture, capture);
        } finally {
            System.setOut(saved);
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void anApprovedCallThatRan() throws Exception {
        audit = dir.resolve("audit");
        keys = dir.resolve("keys");
        policy = dir.resolve("policy.yaml");
        bundle = dir.resolve("evidence.zip");
        Files.writeString(policy, "policies:\n  - {name: deploys, condition: \"action == 'deploy'\", risk_tier: T1, required_approvals: 1}\n");
        Path approvers = dir.resolve("approvers.yaml");
        Files.writeString(approvers, "approvers:\n  - {id: alice, roles: [sre]}\n");
        MagistrateSettings s = MagistrateSettings.builder().policy(policy).auditDirectory(audit).keysDirectory(keys)
                .approvals("programmatic").approvers(approvers).agentId("ops-agent").build();
        try (Magistrate m = Magistrate.open(s)) {
            Intent intent = m.intent("deploy").arg("service", "web").build();
            intentId = intent.id();
            CompletableFuture<Execution> run = CompletableFuture.supplyAsync(() -> m.admit(intent));
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            desk.awaitRequest(intentId, Duration.ofSeconds(5));
            assertTrue(desk.approve(intentId, "alice").accepted());
            run.get(5, TimeUnit.SECONDS).completed("deployed web");
        }
        Run written = cli("audit", "evidence", audit.toString(), intentId, "--keys", keys.toString(), "--out", bundle.toString(),
                "--policy", policy.toString());
        assertEquals(0, written.status(), written.out());
    }

    @Test
    void aT0CallGrantedInTheProcessIsAWholeStoryInItsTwoEntries() throws Exception {
        Path t0 = dir.resolve("t0"), t0Policy = dir.resolve("t0-policy.yaml"), t0Bundle = dir.resolve("t0-evidence.zip");
        Files.writeString(t0Policy, "policies:\n  - {name: reads, condition: \"action == 'health_check'\", risk_tier: T0}\n");
        String id;
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(t0Policy).auditDirectory(t0.resolve("audit"))
                .keysDirectory(t0.resolve("keys")).agentId("ops-agent").build())) {
            Execution run = m.admit(m.intent("health_check").arg("service", "web").build());
            id = run.intentId();
            run.completed("healthy");
        }
        Run written = cli("audit", "evidence", t0.resolve("audit").toString(), id, "--keys", t0.resolve("keys").toString(),
                "--out", t0Bundle.toString(), "--policy", t0Policy.toString());
        assertEquals(0, written.status(), written.out());
        Run r = cli("audit", "evidence", "--verify", t0Bundle.toString());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("OK      the intent's story is whole: CALL_GRANTED > EXECUTION_COMPLETED"), r.out());
        assertTrue(r.out().contains("OK      warrant: none was issued"), r.out());
        assertTrue(r.out().contains("OK      policy: the included files are policy "), "the grant names the policy that decided: " + r.out());
        assertTrue(r.out().endsWith("VERIFIED\n"), r.out());
    }

    @Test
    void theBundleVerifiesWithNothingElseAndWithThePinnedLogKey() throws Exception {
        Run r = cli("audit", "evidence", "--verify", bundle.toString());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("OK      the intent's story is whole: INTENT_SUBMITTED > DECISION > APPROVAL_REQUESTED > VOTE > WARRANT_ISSUED"
                + " > WARRANT_VERIFIED > EXECUTION_STARTED > EXECUTION_COMPLETED"), r.out());
        assertTrue(r.out().contains("OK      warrant: ") && r.out().contains("approved by alice"), r.out());
        assertTrue(r.out().contains("OK      policy: the included files are policy "), r.out());
        assertTrue(r.out().endsWith("VERIFIED\n"), r.out());

        Path logKey;
        try (var s = Files.list(keys.resolve("log"))) {
            logKey = s.filter(p -> p.toString().endsWith(".ed25519.pub")).findFirst().orElseThrow();
        }
        assertEquals(0, cli("audit", "evidence", "--verify", bundle.toString(), "--public-key", logKey.toString()).status());
        assertEquals(0, cli("keys", "generate", dir.resolve("other-keys").toString()).status());
        Path otherKey;
        try (var s = Files.list(dir.resolve("other-keys/log"))) {
            otherKey = s.filter(p -> p.toString().endsWith(".ed25519.pub")).findFirst().orElseThrow();
        }
        Run wrongKey = cli("audit", "evidence", "--verify", bundle.toString(), "--public-key", otherKey.toString());
        assertEquals(1, wrongKey.status(), "a bundle signed by another log's key is refused when the real key is pinned: " + wrongKey.out());
        assertTrue(wrongKey.out().contains("FAILED  checkpoint signature"), wrongKey.out());
    }

    @Test
    void eachKindOfTamperingIsReported() throws Exception {
        Map<String, byte[]> original = unzip(bundle);
        String entryFile = original.keySet().stream().filter(n -> n.startsWith("entries/")).reduce((a, b) -> b).orElseThrow();
        tampered("an entry's bytes", original, f -> f.put(entryFile, replace(f.get(entryFile), "deployed web", "deployed api")), true,
                "FAILED  entry ");
        tampered("the checkpoint", original, f -> f.put("checkpoint.txt", replace(f.get("checkpoint.txt"), "\n\n", "\n\n\u2014 forged ")), true,
                "FAILED  checkpoint signature");
        tampered("the warrant", original, f -> f.put("warrant.json", replace(f.get("warrant.json"), "\"deploy\"", "\"delete\"")), true,
                "FAILED  warrant: warrant.json is not the warrant the audit entry records");
        tampered("the policy", original, f -> f.put("policy/policy.yaml", replace(f.get("policy/policy.yaml"), "action == 'deploy'", "action in ['deploy', 'delete']")), true,
                "FAILED  policy: the included files are policy ");
        tampered("a file changed without updating the manifest", original, f -> f.put("warrant.json", replace(f.get("warrant.json"), "a", "b")),
                false, "FAILED  files match the manifest: warrant.json (changed)");
        tampered("a file added", original, f -> f.put("extra.txt", "hello".getBytes(StandardCharsets.UTF_8)), false,
                "FAILED  files match the manifest: extra.txt (not in the manifest)");
        tampered("the submission left out", original, f -> {
            ObjectNode manifest = manifest(f);
            ArrayNode entries = (ArrayNode) manifest.get("entries");
            String first = entries.get(0).get("file").asText();
            entries.remove(0);
            f.remove(first);
            ((ObjectNode) manifest.get("sha256")).remove(first);
            f.put("manifest.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        }, false, "FAILED  the intent's story is whole: missing INTENT_SUBMITTED");
        tampered("an inclusion proof", original, f -> {
            ObjectNode manifest = manifest(f);
            ArrayNode proof = (ArrayNode) manifest.get("entries").get(1).get("proof");
            proof.set(0, JSON.getNodeFactory().textNode("00".repeat(32)));
            f.put("manifest.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        }, false, "its inclusion proof does not lead to the checkpoint's root");
    }

    private void tampered(String what, Map<String, byte[]> original, Consumer<Map<String, byte[]>> change, boolean rehash, String expected)
            throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>(original);
        change.accept(files);
        if (rehash) {
            // The tamperer also fixes the manifest's hashes: the proofs and signatures must still catch it.
            ObjectNode manifest = manifest(files);
            ObjectNode hashes = (ObjectNode) manifest.get("sha256");
            files.forEach((name, bytes) -> {
                if (!name.equals("manifest.json")) hashes.put(name, sha256(bytes));
            });
            files.put("manifest.json", manifest.toString().getBytes(StandardCharsets.UTF_8));
        }
        Path out = dir.resolve("tampered.zip");
        zip(files, out);
        Run r = cli("audit", "evidence", "--verify", out.toString());
        assertEquals(1, r.status(), what + " must be reported:\n" + r.out());
        assertTrue(r.out().contains(expected), what + ": expected '" + expected + "' in\n" + r.out());
        assertTrue(r.out().endsWith("NOT VERIFIED\n"), r.out());
    }

    static ObjectNode manifest(Map<String, byte[]> files) {
        try {
            return (ObjectNode) JSON.readTree(files.get("manifest.json"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] replace(byte[] bytes, String from, String to) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(s.contains(from), "'" + from + "' in " + s);
        return s.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)).getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Map<String, byte[]> unzip(Path zip) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) files.put(e.getName(), in.readAllBytes());
        }
        return files;
    }

    static void zip(Map<String, byte[]> files, Path out) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue());
                z.closeEntry();
            }
        }
    }
}
