package dev.magistrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key rotation as an operator does it: {@code java -jar magistrate-agent.jar keys rotate} while the
 * agent governs calls in another JVM, and again between restarts. Every governed call keeps working,
 * warrants signed before a rotation keep verifying, and the audit log verifies from its first entry.
 */
class KeyRotationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String APP = InterceptionIT.APP;

    @TempDir
    Path dir;

    @Test
    void rotatingEachKeySetUnderARunningAgentAndAcrossRestartsKeepsCallsWorkingAndTheLogVerifying() throws Exception {
        InterceptionIT.workDir(dir, "approvals: auto\n");
        Path keys = dir.resolve("keys");
        Path audit = dir.resolve("audit");
        // Stage 0, then after a warrant rotation, a log rotation, and a rotation of both: each stage a T0 call
        // (no warrant) and an approved T1 call (Ed25519 warrant).
        List<String> cmd = new ArrayList<>(List.of(AgentRun.java(), "-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"),
                "-cp", AgentRun.appClasspath(), APP, "class", "approved", "wait-stdin", "class", "approved", "wait-stdin",
                "class", "approved", "wait-stdin", "class", "approved"));
        Process app = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("err.txt").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        List<String> logKeysSigning = new ArrayList<>();
        try {
            for (String purpose : new String[]{"warrant", "log", null}) {
                awaitReady(out, seen);
                logKeysSigning.add(awaitSignedCheckpoint(audit));
                String verify = cli("audit", "verify", audit.toString(), "--keys", keys.toString());
                assertTrue(verify.startsWith("OK "), "the live log verifies before the " + purpose + " rotation: " + verify);
                List<String> rotate = new ArrayList<>(List.of("keys", "rotate", "--keys", keys.toString()));
                if (purpose != null) rotate.addAll(List.of("--purpose", purpose));
                String rotated = cli(rotate.toArray(String[]::new));
                assertTrue(rotated.contains("rotated " + (purpose == null ? "warrant" : purpose) + " keys"), rotated);
                Thread.sleep(1_300); // the agent looks for a rotation once a second
                app.getOutputStream().write('\n');
                app.getOutputStream().flush();
            }
            String line;
            while ((line = out.readLine()) != null) seen.append(line).append('\n');
            assertTrue(app.waitFor(60, TimeUnit.SECONDS));
        } finally {
            app.destroyForcibly();
        }
        String err = Files.readString(dir.resolve("err.txt"));
        assertEquals(4, count(seen.toString(), "CASE class OK healthy web"), seen + err);
        assertEquals(4, count(seen.toString(), "CASE approved OK approved budget"), seen + err);
        assertTrue(!err.contains("ERROR"), err);

        // The warrants name the keys that signed them: approved warrants change key with each warrant rotation only.
        // The T0 calls ran on their write-ahead DECISION entries and have no warrant (warrants.md, "T0 calls granted in the process").
        List<JsonNode> warrants = issuedWarrants(audit);
        assertEquals(4, warrants.size());
        List<String> ed = new ArrayList<>();
        for (JsonNode w : warrants) {
            assertEquals("Ed25519", w.get("algorithm").asText(), w::toString);
            ed.add(w.get("key_id").asText());
        }
        assertNotEquals(ed.get(0), ed.get(1), "warrant rotation took effect in the running agent");
        assertEquals(ed.get(1), ed.get(2), "a log rotation leaves warrant keys alone");
        assertNotEquals(ed.get(2), ed.get(3));

        // The checkpoint file is signed by the log key of the moment: the same until the log rotation, new after it.
        String finalSigner = checkpointSigner(audit);
        assertEquals(logKeysSigning.get(0), logKeysSigning.get(1), "a warrant rotation leaves the log key alone");
        assertNotEquals(logKeysSigning.get(1), logKeysSigning.get(2), "log rotation took effect in the running agent");
        assertNotEquals(logKeysSigning.get(2), finalSigner);
        assertTrue(cli("audit", "verify", audit.toString(), "--keys", keys.toString()).startsWith("OK "));

        // A warrant signed before every rotation still verifies offline with its own public key.
        Path firstWarrant = dir.resolve("first-warrant.json");
        JsonNode first = warrants.stream().filter(w -> w.get("key_id").asText().equals(ed.get(0))).findFirst().orElseThrow();
        Files.writeString(firstWarrant, JSON.writeValueAsString(first));
        assertEquals("VALID", cli("warrant", "verify", firstWarrant.toString(), "--key",
                keys.resolve("warrant").resolve(ed.get(0) + ".ed25519.pub").toString()).lines().findFirst().orElse(""));

        // Between restarts: rotate both, start again; calls work and the whole log still verifies.
        cli("keys", "rotate", "--keys", keys.toString());
        AgentRun.Result again = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "class", "approved");
        assertEquals("OK healthy web", again.outcome("class"), again::toString);
        assertEquals("OK approved budget", again.outcome("approved"), again::toString);
        String verified = cli("audit", "verify", audit.toString(), "--keys", keys.toString());
        assertEquals("OK " + countEntries(audit) + " entries", verified.strip());

        // An auditor holding only the first log key's file is told which key it lacks; with every log key file the log verifies.
        List<Path> logPubs;
        try (Stream<Path> f = Files.list(keys.resolve("log"))) {
            logPubs = f.filter(p -> p.toString().endsWith(".pub")).sorted().toList();
        }
        assertEquals(4, logPubs.size(), "the first log key and three log rotations");
        Path firstLogKey = keys.resolve("log").resolve(logKeysSigning.get(0).substring("magistrate-".length()) + ".ed25519.pub");
        String partial = cliExpecting(1, "audit", "verify", audit.toString(), "--public-key", firstLogKey.toString());
        assertTrue(partial.startsWith("TAMPERED at entry ") && partial.contains("no signature by a trusted key") && partial.contains("signed by: magistrate-log-"),
                partial);
        List<String> all = new ArrayList<>(List.of("audit", "verify", audit.toString()));
        for (Path p : logPubs) all.addAll(List.of("--public-key", p.toString()));
        assertEquals(verified, cli(all.toArray(String[]::new)));
    }

    private static void awaitReady(BufferedReader out, StringBuilder seen) throws Exception {
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY")) seen.append(line).append('\n');
        assertNotNull(line, "the app never got ready: " + seen);
    }

    /** Waits until the live log's checkpoint covers every entry (it is signed within a second), then names its key. */
    private static String awaitSignedCheckpoint(Path audit) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String size = Files.readString(audit.resolve("checkpoint")).lines().skip(1).findFirst().orElse("");
            if (size.equals(String.valueOf(countEntries(audit)))) return checkpointSigner(audit);
            Thread.sleep(100);
        }
        throw new AssertionError("the live log left entries unsigned for 10 s");
    }

    /** The key name on the checkpoint file's signature line. */
    private static String checkpointSigner(Path audit) throws Exception {
        String note = Files.readString(audit.resolve("checkpoint"));
        return note.lines().filter(l -> l.startsWith("\u2014 ")).map(l -> l.split(" ")[1]).findFirst().orElseThrow();
    }

    private static List<JsonNode> issuedWarrants(Path audit) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (AuditEvent e : InterceptionIT.readAudit(audit)) {
            if (e.type() == AuditEventType.WARRANT_ISSUED) out.add(JSON.readTree((String) e.fields().get("warrant")));
        }
        return out;
    }

    private static long countEntries(Path audit) {
        return InterceptionIT.readAudit(audit).size();
    }

    private static int count(String text, String line) {
        return (int) text.lines().filter(line::equals).count();
    }

    private String cli(String... args) throws Exception {
        return cliExpecting(0, args);
    }

    /** Runs the agent jar as the command line and returns its standard output. */
    private String cliExpecting(int exit, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(AgentRun.java(), "-jar", AgentRun.JAR.toString()));
        cmd.addAll(List.of(args));
        Path o = Files.createTempFile(dir, "cli", ".out"), e = Files.createTempFile(dir, "cli", ".err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(o.toFile()).redirectError(e.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cli did not finish: " + cmd);
        String stdout = Files.readString(o);
        assertEquals(exit, p.exitValue(), cmd + "\nstdout:\n" + stdout + "\nstderr:\n" + Files.readString(e));
        return stdout;
    }
}
