package dev.magistrate.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.warrant.Warrant;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Everything needed to prove, offline and to a third party, what happened to one call: its audit entries exactly as
 * stored, an inclusion proof of each against the signed checkpoint, the checkpoint, the public keys (log and warrant),
 * the signed warrant, and the policy files when given. {@link #verify} checks a bundle with nothing but this class.
 *
 * <p>What a bundle proves: each entry it holds is in the log the checkpoint signs, the warrant was signed by the warrant
 * key, and the policy files are the ones that decided. What it cannot prove on its own: that no entry of the intent was
 * left out (inclusion proofs show presence, not absence); the verifier checks that the story is whole (submitted,
 * decided, ended), and the log's owner can be asked for {@code audit timeline}. The keys inside a bundle are whoever
 * made it: pin the log key you trust with {@code verify(bundle, pinned)}.
 */
public final class EvidenceBundle {

    public static final String FORMAT = "magistrate-evidence/1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PUB = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}\\.ed25519\\.pub");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}(/[A-Za-z0-9._-]{1,128}){0,2}");
    private static final long MAX_BUNDLE_BYTES = 64L << 20;
    private static final int MAX_FILES = 10_000;

    private EvidenceBundle() {
    }

    /** What {@link #write} put in the bundle. */
    public record Written(int entries, long checkpointSize, int uncheckpointed, int keys, int policyFiles) {
    }

    /** One check of {@link #verify}: what was checked, whether it holds, and the detail. */
    public record Check(String what, boolean ok, String detail) {
    }

    public record Report(List<Check> checks) {
        public boolean ok() {
            return checks.stream().allMatch(Check::ok);
        }
    }

    /**
     * Writes the bundle for {@code intentId} to {@code out} (a zip). {@code keysDir} is a key directory or a
     * {@code keys export-public} directory: the public keys in its {@code log/} and {@code warrant/} are included.
     * {@code policyFiles} may be empty; when given, they must be the files that decided (the verifier compares hashes).
     *
     * @throws IllegalArgumentException the log holds no entry of the intent under its checkpoint
     */
    public static Written write(Path auditDir, String intentId, Path keysDir, List<Path> policyFiles, Path out) {
        String note = AuditLogVerifier.readCheckpointFile(auditDir);
        Checkpoint cp = LogProofs.parseUnverified(note);
        List<byte[]> leaves = new ArrayList<>();
        Map<Long, byte[]> mine = new TreeMap<>();
        int later = 0;
        try (AuditLogReader reader = AuditLogReader.open(auditDir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (!(rec instanceof LogRecord.Entry e)) continue;
                CanonicalEntry.Decoded d = CanonicalEntry.decode(e.bytes());
                if (leaves.isEmpty() && d.index() != 0) throw new IllegalStateException("entries before " + d.index() + " were pruned by retention; proofs need the whole log");
                boolean ours = intentId.equals(d.event().intentId());
                if (leaves.size() < cp.size()) {
                    if (ours) mine.put(d.index(), e.bytes());
                    leaves.add(MerkleTree.leafHash(e.bytes()));
                } else if (ours) {
                    later++;
                }
            }
        }
        if (leaves.size() < cp.size()) throw new IllegalStateException("the log holds " + leaves.size() + " entries, its checkpoint " + cp.size());
        if (mine.isEmpty()) {
            throw new IllegalArgumentException("no entry of intent '" + intentId + "' in the " + cp.size() + " entries the checkpoint signs"
                    + (later > 0 ? " (" + later + " come after it: wait for the next checkpoint, or close the log)" : ""));
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        ObjectNode manifest = JSON.createObjectNode().put("format", FORMAT).put("intent_id", intentId).put("origin", cp.origin())
                .put("checkpoint_size", cp.size());
        ArrayNode entries = manifest.putArray("entries");
        String warrantJson = null;
        for (Map.Entry<Long, byte[]> e : mine.entrySet()) {
            long index = e.getKey();
            String name = "entries/" + index + ".json";
            files.put(name, e.getValue());
            ArrayNode path = JSON.createArrayNode();
            for (byte[] h : MerkleProofs.inclusionProof(leaves, index, cp.size())) path.add(HexFormat.of().formatHex(h));
            entries.addObject().put("index", index).put("file", name).set("proof", path);
            AuditEvent event = CanonicalEntry.decode(e.getValue()).event();
            if (event.type() == AuditEventType.WARRANT_ISSUED) warrantJson = ((AuditPayload.WarrantIssued) event.payload()).warrant();
        }
        files.put("checkpoint.txt", note.getBytes(StandardCharsets.UTF_8));
        if (warrantJson != null) files.put("warrant.json", warrantJson.getBytes(StandardCharsets.UTF_8));
        int keys = 0;
        for (String purpose : List.of("log", "warrant")) {
            for (Path pub : publicKeys(keysDir.resolve(purpose))) {
                files.put("keys/" + purpose + "/" + pub.getFileName(), read(pub));
                keys++;
            }
        }
        for (Path p : policyFiles) files.put("policy/" + p.getFileName(), read(p));
        files.put("README.txt", readme(intentId).getBytes(StandardCharsets.UTF_8));
        ObjectNode hashes = manifest.putObject("sha256");
        files.forEach((name, bytes) -> hashes.put(name, sha256Hex(bytes)));
        try {
            files.put("manifest.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeZip(files, out);
        return new Written(mine.size(), cp.size(), later, keys, policyFiles.size());
    }

    /**
     * Checks a bundle. {@code pinned}: the log keys to trust; when empty, the bundle's own log keys are used and the
     * report names the key that signed, to be compared with one known out of band.
     */
    public static Report verify(Path bundle, List<CheckpointVerifier> pinned) {
        List<Check> checks = new ArrayList<>();
        Map<String, byte[]> files;
        try {
            files = readZip(bundle);
        } catch (IOException | IllegalArgumentException e) {
            checks.add(new Check("bundle", false, "cannot read " + bundle + ": " + e.getMessage()));
            return new Report(checks);
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(files.getOrDefault("manifest.json", new byte[0]));
            if (manifest == null || !FORMAT.equals(manifest.path("format").asText())) throw new IOException("not a " + FORMAT + " manifest");
        } catch (IOException e) {
            checks.add(new Check("manifest", false, e.getMessage()));
            return new Report(checks);
        }
        String intentId = manifest.path("intent_id").asText();
        // Every file is listed with its hash, and nothing unlisted is there.
        JsonNode hashes = manifest.path("sha256");
        List<String> bad = new ArrayList<>();
        for (String name : files.keySet()) {
            if (name.equals("manifest.json")) continue;
            if (!hashes.has(name)) bad.add(name + " (not in the manifest)");
            else if (!hashes.get(name).asText().equals(sha256Hex(files.get(name)))) bad.add(name + " (changed)");
        }
        hashes.fieldNames().forEachRemaining(n -> {
            if (!files.containsKey(n)) bad.add(n + " (missing)");
        });
        checks.add(new Check("files match the manifest", bad.isEmpty(), bad.isEmpty() ? files.size() - 1 + " files" : String.join(", ", bad)));

        CheckpointVerifier logKeys = pinned.isEmpty() ? bundledLogKeys(files) : CheckpointVerifier.trusting(pinned);
        Checkpoint cp = null;
        if (logKeys == null) {
            checks.add(new Check("checkpoint signature", false, "no log public key in the bundle (keys/log/) and none pinned"));
        } else {
            try {
                CheckpointVerifier.Signed s = logKeys.verifySigned(new String(files.getOrDefault("checkpoint.txt", new byte[0]), StandardCharsets.UTF_8));
                cp = s.checkpoint();
                checks.add(new Check("checkpoint signature", true, "signed by " + s.signerKey() + (pinned.isEmpty()
                        ? " (a key from the bundle itself: compare it with the log key you trust, or pin it with --public-key)" : " (pinned)")
                        + "; " + cp.size() + " entries, origin " + cp.origin()));
            } catch (InvalidCheckpointException e) {
                checks.add(new Check("checkpoint signature", false, e.getMessage()));
            }
        }

        List<AuditEvent> events = new ArrayList<>();
        for (JsonNode e : manifest.path("entries")) {
            long index = e.path("index").asLong(-1);
            byte[] bytes = files.get(e.path("file").asText());
            String what = "entry " + index;
            if (bytes == null) {
                checks.add(new Check(what, false, "its file " + e.path("file").asText() + " is missing"));
                continue;
            }
            CanonicalEntry.Decoded d;
            try {
                d = CanonicalEntry.decode(bytes);
            } catch (RuntimeException bad2) {
                checks.add(new Check(what, false, "not a canonical audit entry: " + bad2.getMessage()));
                continue;
            }
            List<byte[]> path = new ArrayList<>();
            e.path("proof").forEach(h -> path.add(HexFormat.of().parseHex(h.asText())));
            boolean included = cp != null && d.index() == index
                    && MerkleProofs.verifyInclusion(index, cp.size(), MerkleTree.leafHash(bytes), path, cp.rootHash());
            boolean ours = intentId.equals(d.event().intentId());
            checks.add(new Check(what + " (" + d.event().type() + ")", included && ours, !ours ? "it belongs to intent " + d.event().intentId()
                    : included ? "in the signed log at index " + index : cp == null ? "no verified checkpoint to prove it against"
                    : "its inclusion proof does not lead to the checkpoint's root"));
            events.add(d.event());
        }
        checks.add(whole(events));
        checks.add(warrant(files, events));
        checks.add(policy(files, events));
        return new Report(checks);
    }

    /** The story is whole: submitted, decided, and ended (ran, denied, timed out, or needs information). */
    private static Check whole(List<AuditEvent> events) {
        List<AuditEventType> types = events.stream().map(AuditEvent::type).toList();
        List<AuditEventType> steps = types.stream().flatMap(t -> t.steps().stream()).toList(); // CALL_GRANTED: submitted, decided
        List<String> missing = new ArrayList<>();
        if (!steps.contains(AuditEventType.INTENT_SUBMITTED)) missing.add("INTENT_SUBMITTED");
        if (!steps.contains(AuditEventType.DECISION)) missing.add("DECISION");
        boolean ended = types.stream().anyMatch(t -> t == AuditEventType.EXECUTION_COMPLETED || t == AuditEventType.EXECUTION_FAILED
                || t == AuditEventType.INTENT_DENIED || t == AuditEventType.INTENT_TIMED_OUT || t == AuditEventType.INFORMATION_REQUESTED
                || t == AuditEventType.INTENT_ABANDONED);
        if (!ended) missing.add("an outcome (EXECUTION_COMPLETED/FAILED, INTENT_DENIED, INTENT_TIMED_OUT, INFORMATION_REQUESTED or INTENT_ABANDONED)");
        return new Check("the intent's story is whole", missing.isEmpty(), missing.isEmpty() ? String.join(" > ", types.stream().map(Enum::name).toList())
                : "missing " + String.join(", ", missing) + " (entries may have been left out; inclusion proofs cannot show absence)");
    }

    private static Check warrant(Map<String, byte[]> files, List<AuditEvent> events) {
        String issued = events.stream().filter(e -> e.type() == AuditEventType.WARRANT_ISSUED)
                .map(e -> ((AuditPayload.WarrantIssued) e.payload()).warrant()).findFirst().orElse(null);
        byte[] file = files.get("warrant.json");
        if (issued == null) {
            return new Check("warrant", file == null, file == null ? "none was issued" : "warrant.json is there, but no WARRANT_ISSUED entry");
        }
        if (file == null || !issued.equals(new String(file, StandardCharsets.UTF_8))) {
            return new Check("warrant", false, "warrant.json is not the warrant the audit entry records");
        }
        Warrant w;
        try {
            w = Warrant.fromJson(issued);
        } catch (RuntimeException e) {
            return new Check("warrant", false, "not a warrant: " + e.getMessage());
        }
        if (w.algorithm() != dev.magistrate.keys.SignatureAlgorithm.ED25519) {
            return new Check("warrant", true, w.warrantId() + " (" + w.tier() + ") is HMAC-signed: only the key's holder can check the signature;"
                    + " its issue is proven by the audit entry");
        }
        byte[] key = files.get("keys/warrant/" + w.keyId() + ".ed25519.pub");
        if (key == null) return new Check("warrant", false, "no public key " + w.keyId() + " in keys/warrant/");
        Ed25519Signer v = new Ed25519Signer();
        try {
            v.init(false, new Ed25519PublicKeyParameters(Base64.getDecoder().decode(new String(key, StandardCharsets.US_ASCII).strip()), 0));
        } catch (RuntimeException e) {
            return new Check("warrant", false, "keys/warrant/" + w.keyId() + ".ed25519.pub is not an Ed25519 public key");
        }
        byte[] input = w.signingInput();
        v.update(input, 0, input.length);
        boolean ok = v.verifySignature(w.signature());
        return new Check("warrant", ok, ok ? w.warrantId() + " (" + w.tier() + ", approved by " + String.join(", ", w.approvedBy()) + ") signed by "
                + w.keyId() : "the signature of " + w.warrantId() + " does not verify with " + w.keyId());
    }

    private static Check policy(Map<String, byte[]> files, List<AuditEvent> events) {
        String decided = events.stream().filter(e -> e.type().steps().contains(AuditEventType.DECISION))
                .flatMap(e -> e.payload().steps().stream()).filter(p -> p instanceof AuditPayload.Decision)
                .map(p -> ((AuditPayload.Decision) p).policyVersion()).findFirst().orElse(null);
        Map<String, byte[]> policy = new TreeMap<>();
        files.forEach((name, bytes) -> {
            if (name.startsWith("policy/")) policy.put(name.substring("policy/".length()), bytes);
        });
        if (policy.isEmpty()) return new Check("policy", true, "not included (the decision names policy " + decided + ")");
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("magistrate-evidence-policy");
            List<Path> paths = new ArrayList<>();
            for (Map.Entry<String, byte[]> p : policy.entrySet()) paths.add(Files.write(tmp.resolve(p.getKey()), p.getValue()));
            String version = PolicyLoader.load(paths).version();
            boolean ok = version.equals(decided);
            return new Check("policy", ok, ok ? "the included files are policy " + version + ", which decided"
                    : "the included files are policy " + version + ", but policy " + decided + " decided");
        } catch (IOException | PolicyException e) {
            return new Check("policy", false, "the included policy does not load: " + e.getMessage());
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static CheckpointVerifier bundledLogKeys(Map<String, byte[]> files) {
        List<CheckpointVerifier> keys = new ArrayList<>();
        files.forEach((name, bytes) -> {
            if (name.startsWith("keys/log/") && PUB.matcher(name.substring("keys/log/".length())).matches()) {
                String id = name.substring("keys/log/".length(), name.length() - ".ed25519.pub".length());
                try {
                    keys.add(new CheckpointVerifier("magistrate-" + id, Base64.getDecoder().decode(new String(bytes, StandardCharsets.US_ASCII).strip())));
                } catch (IllegalArgumentException ignored) {
                    // not a key; the signature check then names no key that verifies
                }
            }
        });
        return keys.isEmpty() ? null : CheckpointVerifier.trusting(keys);
    }

    private static List<Path> publicKeys(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> PUB.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static String readme(String intentId) {
        return """
                Evidence bundle for intent %s (format %s)

                What is here
                  manifest.json      the intent id, the log's origin, the checkpoint size, each entry with its inclusion
                                     proof (hex hashes, RFC 6962), and the SHA-256 of every other file
                  entries/N.json     the intent's audit entries exactly as the log stores them (canonical JSON)
                  checkpoint.txt     the log's signed checkpoint (C2SP signed note: origin, size, root hash, Ed25519 signature)
                  keys/log/          the log's Ed25519 public keys; keys/warrant/: the warrant keys' public halves
                  warrant.json       the signed warrant, when one was issued (the same text as the WARRANT_ISSUED entry)
                  policy/            the policy files, when included (their hash is the policy_version of the DECISION or CALL_GRANTED entry)

                How to check it
                  java -jar magistrate-agent.jar audit evidence --verify THIS.zip [--public-key LOG_KEY.ed25519.pub]
                  Without --public-key the bundle's own log keys are used: compare the key id it prints with the one you
                  trust. By hand: each entry's leaf hash is SHA-256(0x00 || bytes); its proof leads to the checkpoint's
                  root (RFC 6962 section 2.1.1); the checkpoint's signature verifies with the log key.

                What it cannot show
                  That no entry of the intent was left out: ask the log's owner for 'audit timeline', or check the log.
                  HMAC-signed warrants (T0) can be checked only by the key's holder; the audit entry proves their issue.
                """.formatted(intentId, FORMAT);
    }

    private static void writeZip(Map<String, byte[]> files, Path out) {
        try (OutputStream os = Files.newOutputStream(out); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                ZipEntry e = new ZipEntry(f.getKey());
                e.setTime(0); // the same bundle for the same log, whenever it is made
                zip.putNextEntry(e);
                zip.write(f.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /** Reads a bundle, bounded: names, count and total size are limited, so a crafted zip cannot exhaust the verifier. */
    private static Map<String, byte[]> readZip(Path bundle) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        long total = 0;
        try (InputStream in = Files.newInputStream(bundle); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            byte[] buf = new byte[8192];
            while ((e = zip.getNextEntry()) != null) {
                if (e.isDirectory()) continue;
                if (!SAFE_NAME.matcher(e.getName()).matches() || e.getName().contains("..")) throw new IllegalArgumentException("unexpected file name '" + e.getName() + "'");
                if (files.size() >= MAX_FILES) throw new IllegalArgumentException("more than " + MAX_FILES + " files");
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                int n;
                while ((n = zip.read(buf)) > 0) {
                    total += n;
                    if (total > MAX_BUNDLE_BYTES) throw new IllegalArgumentException("larger than " + (MAX_BUNDLE_BYTES >> 20) + " MiB unpacked");
                    bytes.write(buf, 0, n);
                }
                if (files.put(e.getName(), bytes.toByteArray()) != null) throw new IllegalArgumentException("'" + e.getName() + "' appears twice");
            }
        }
        return files;
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it
        }
    }
}
