package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Real child JVMs: killed with SIGKILL mid-append, competing for one directory, and watched for network use. */
class AuditChildJvmTest {

    @TempDir
    Path tmp;

    /** A started child whose stdout lines are collected by a reader thread. */
    static final class Child implements AutoCloseable {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Thread reader;

        Child(List<String> command) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            process = pb.start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) lines.add(line);
                } catch (IOException ignored) {
                    // the child was killed
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        boolean awaitLine(String prefix, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (System.nanoTime() < deadline) {
                if (lines.stream().anyMatch(l -> l.startsWith(prefix))) return true;
                if (!process.isAlive() && !reader.isAlive()) return lines.stream().anyMatch(l -> l.startsWith(prefix));
                Thread.sleep(5);
            }
            return false;
        }

        List<String> finish(long millis) throws InterruptedException {
            assertTrue(process.waitFor(millis, TimeUnit.MILLISECONDS), "child did not exit");
            reader.join(millis);
            return lines;
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void sigkillAtRandomMomentsLosesNoAcknowledgedEntryAndTheLogVerifies() throws Exception {
        Path dir = tmp.resolve("audit");
        Random random = new Random(42);
        long acknowledged = -1;
        List<VerificationResult.Status> seen = new ArrayList<>();
        int kills = 12;
        long start = System.nanoTime();
        for (int round = 0; round < kills; round++) {
            try (Child child = new Child(childJvm(AuditChildProcess.class, List.of(), "append", dir.toString()))) {
                assertTrue(child.awaitLine("READY", 20_000), "child " + round + " did not open the log: " + child.lines);
                Thread.sleep(20 + random.nextInt(250));
                child.process.destroyForcibly(); // SIGKILL on Linux
                child.finish(10_000);
                long printedThisRound = -1;
                for (String l : child.lines) {
                    if (l.endsWith(";")) printedThisRound = Math.max(printedThisRound, Long.parseLong(l.substring(0, l.length() - 1)));
                }
                assertTrue(printedThisRound > acknowledged, "round " + round + " appended nothing: " + child.lines.size() + " lines");
                acknowledged = printedThisRound;
            }
            VerificationResult r = verifier().verify(dir);
            seen.add(r.status());
            assertNotEquals(VerificationResult.Status.TAMPERED, r.status(), "after kill " + round + ": " + r.summary());
            assertTrue(r.entries() > acknowledged, "after kill " + round + " entry " + acknowledged + " was acknowledged but the log holds "
                    + r.entries() + ": " + r.summary());
        }
        // Every acknowledged entry is there with the content that was appended.
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            long n = 0;
            while ((d = reader.nextEntry()) != null) {
                assertEquals(n, d.index());
                assertEquals(event(n), d.event(), "entry " + n);
                n++;
            }
            assertTrue(n > acknowledged);
        }
        // The next writer recovers by itself (Chronicle's write lock held by a dead process included).
        long reopenStart = System.nanoTime();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            log.append(event(log.size()));
        }
        long reopenMillis = (System.nanoTime() - reopenStart) / 1_000_000;
        VerificationResult end = verifier().verify(dir);
        assertEquals(VerificationResult.Status.OK, end.status(), end.summary());
        System.out.printf("%d SIGKILLs, %d acknowledged entries all present, statuses after kills %s, reopen %d ms, total %d ms%n",
                kills, acknowledged + 1, seen, reopenMillis, (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void aHalfWrittenLastEntryIsReportedAsIncompleteNotTamperedAndTheNextWriterRecovers() throws Exception {
        Path dir = tmp.resolve("audit");
        try (Child child = new Child(childJvm(AuditChildProcess.class, List.of(), "die-mid-write", dir.toString()))) {
            List<String> out = child.finish(30_000);
            assertTrue(out.contains("HALTING"), out.toString());
            assertEquals(9, child.process.exitValue());
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals(VerificationResult.Status.INCOMPLETE_TAIL, r.status(), r.summary());
        assertEquals(5, r.index());
        assertEquals(5, r.entries());
        assertFalse(r.tampered());
        long start = System.nanoTime();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            assertEquals(5, log.append(event(5)));
        }
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "recovery must not hang");
        assertEquals("OK 6 entries", verifier().verify(dir).summary());
    }

    @Test
    void openingVerifiesALogLargerThanItsHeapWouldHoldOneHashPerEntry() throws Exception {
        // 600,000 entries: 19 MB of leaf hashes, which the verification on open once kept (and doubled as it grew). With a
        // 40 MB heap the open ran out of memory; it now keeps only the roots it compares.
        Path dir = tmp.resolve("audit");
        long entries = 600_000;
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(100_000, 60_000))) {
            for (long n = 0; n < entries; n++) log.append(AuditEvent.of(AuditEventType.VOTE, "i", Instant.EPOCH, "n", n));
        }
        try (Child child = new Child(childJvm(AuditChildProcess.class, List.of("-Xmx40m"), "open", dir.toString()))) {
            List<String> out = child.finish(120_000);
            assertTrue(out.contains("OPENED " + entries), out.toString());
        }
    }

    @Test
    void aSecondJvmOnTheSameDirectoryRefusesToStart() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            log.append(event(0));
            try (Child second = new Child(childJvm(AuditChildProcess.class, List.of(), "open", dir.toString()))) {
                List<String> out = second.finish(30_000);
                assertTrue(out.stream().anyMatch(l -> l.startsWith("REFUSED ") && l.contains("already in use")), out.toString());
                assertEquals(0, second.process.exitValue());
            }
            log.append(event(1));
        }
        // And the other way round: while a child holds it, this JVM is refused; once it exits, it opens.
        try (Child holder = new Child(childJvm(AuditChildProcess.class, List.of(), "hold", dir.toString()))) {
            assertTrue(holder.awaitLine("READY", 20_000), holder.lines.toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChronicleAuditLog.open(options(dir)));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
            holder.process.getOutputStream().close();
            holder.finish(20_000);
        }
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            assertEquals(3, log.size());
        }
        assertEquals("OK 3 entries", verifier().verify(dir).summary());
    }

    @Test
    void theAuditCodeMakesNoOutboundConnectionAndTheDetectorCatchesOne() throws Exception {
        // Name lookups in the children go to this file only, so not even a DNS query leaves the machine.
        Path hosts = tmp.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n::1 localhost\n");
        List<String> jvm = List.of("-Djdk.net.hosts.file=" + hosts, "-Djava.net.useSystemProxies=false");

        // The detector works: a deliberate HTTPS request (what Chronicle's analytics does) and a raw socket are caught.
        try (Child control = new Child(withoutAnalyticsFlag(childJvm(AuditChildProcess.class, jvm, "network-control", tmp.resolve("c").toString())))) {
            List<String> out = control.finish(60_000);
            assertEquals(0, control.process.exitValue(), out.toString());
            assertTrue(out.contains("ATTEMPTS 2"), out.toString());
            assertTrue(out.stream().anyMatch(l -> l.startsWith("ATTEMPT ") && l.contains("www.google-analytics.com")), out.toString());
            assertTrue(out.stream().anyMatch(l -> l.startsWith("ATTEMPT socket://example.com:443")), out.toString());
        }
        // The audit code, started without -Dchronicle.analytics.disable (it sets it itself), attempts none.
        try (Child audit = new Child(withoutAnalyticsFlag(childJvm(AuditChildProcess.class, jvm, "network", tmp.resolve("a").toString())))) {
            List<String> out = audit.finish(60_000);
            assertEquals(0, audit.process.exitValue(), out.toString());
            assertEquals(List.of("ATTEMPTS 0"), out);
        }
    }

    private static List<String> withoutAnalyticsFlag(List<String> command) {
        List<String> out = new ArrayList<>(command);
        assertTrue(out.remove("-Dchronicle.analytics.disable=true"));
        return out;
    }

    @Test
    void lowSpaceIsWarnedOnceByTheCheckpointTimerNotOnTheAppendPath() throws Exception {
        Path dir = tmp.resolve("audit");
        try (Child child = new Child(childJvm(AuditChildProcess.class,
                List.of("-D" + ChronicleAuditLog.LOW_SPACE_PROPERTY + "=" + Long.MAX_VALUE), "low-space", dir.toString()))) {
            assertTrue(child.awaitLine("CLOSED", 30_000), "child output: " + child.lines);
            List<String> warnings = child.lines.stream().filter(l -> l.contains("bytes free (warning below")).toList();
            assertEquals(1, warnings.size(), "one warning: " + child.lines);
            assertTrue(warnings.get(0).startsWith("WARN [magistrate-audit-checkpoint]"), warnings.get(0));
            assertTrue(warnings.get(0).contains(ChronicleAuditLog.LOW_SPACE_PROPERTY), warnings.get(0));
        }
    }
}
