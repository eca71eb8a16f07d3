package dev.magistrate.audit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Keys, events, child JVMs and raw file access shared by the audit tests. */
final class AuditTestSupport {

    static final String ORIGIN = "magistrate.test/audit";
    static final String KEY_NAME = "magistrate.test/audit";

    private AuditTestSupport() {
    }

    static byte[] seed(String label) {
        return MerkleTree.sha256().digest(label.getBytes(StandardCharsets.UTF_8));
    }

    static CheckpointSigner signer() {
        return CheckpointSigner.fromSeed(KEY_NAME, seed("magistrate test audit key"));
    }

    static AuditLogOptions options(Path dir) {
        return AuditLogOptions.defaults(dir, ORIGIN, signer());
    }

    static AuditLogVerifier verifier() {
        return new AuditLogVerifier(signer().verifier());
    }

    /** A complete DECISION (the report and the timeline read it), plus a marker field to find it in the files. */
    static AuditEvent event(long n) {
        boolean deny = n % 5 == 0;
        return AuditEvent.of(AuditEventType.DECISION, "intent-" + n, Instant.parse("2026-11-24T10:00:00Z").plusMillis(n),
                "action", "deploy", "tier", "T" + (n % 4), "effect", deny ? "deny" : "allow",
                "rules", List.of("rule-" + (n % 3)), "policy_version", "v1", "required_approvals", 0L, "required_roles", List.of(),
                "mfa", n % 2 == 0, "reason", "test", "deny_rules", deny ? List.of("rule-" + (n % 3)) : List.of(),
                "marker", String.format("MARKER-%06d", n));
    }

    static void appendEvents(ChronicleAuditLog log, long from, long count) {
        for (long n = from; n < from + count; n++) log.append(event(n));
    }

    /** The only cycle file of a queue written within one day. */
    static Path cycleFile(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> cq4 = files.filter(p -> p.toString().endsWith(".cq4")).toList();
            if (cq4.size() != 1) throw new IllegalStateException("expected one cycle file in " + dir + ": " + cq4);
            return cq4.get(0);
        }
    }

    /** Offset of the first occurrence of {@code marker} in the first 8 MiB of the file. */
    static long find(Path file, String marker) throws IOException {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            byte[] data = new byte[(int) Math.min(raf.length(), 8 << 20)];
            raf.readFully(data);
            outer:
            for (int i = 0; i + needle.length <= data.length; i++) {
                for (int j = 0; j < needle.length; j++) if (data[i + j] != needle[j]) continue outer;
                return i;
            }
        }
        throw new IllegalStateException(marker + " not found in " + file);
    }

    static void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(bytes);
        }
    }

    static int readByte(Path file, long offset) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(offset);
            return raf.read();
        }
    }

    /** A java command line that runs {@code mainClass} in a fresh JVM with this test's class path. */
    static List<String> childJvm(Class<?> mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(List.of(
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
                "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
                "--add-exports=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
                "-Dchronicle.analytics.disable=true", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(jvmOptions);
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.compareTo(a)).toList()) Files.delete(p);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
