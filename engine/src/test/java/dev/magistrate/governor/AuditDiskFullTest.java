package dev.magistrate.governor;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A real full disk: the audit log lives on a 4 MiB tmpfs mounted by the test (root on Linux), filled
 * by governed calls until Chronicle's writes into the mapped file fail (SIGBUS, surfaced by the JVM
 * as an InternalError). Calls are denied while it is full; when the tmpfs is grown the next call
 * works, and the torn record is reported as a damaged tail, not tampering, and skipped with a
 * LOG_RECOVERED entry. Skips, saying why, where tmpfs cannot be mounted.
 */
class AuditDiskFullTest {

    @TempDir
    Path tmp;

    Path disk;
    boolean mounted;

    static final CheckpointSigner SIGNER = CheckpointSigner.fromSeed("magistrate.test/diskfull",
            java.util.HexFormat.of().parseHex(CanonicalJson.sha256Hex("disk full key".getBytes(StandardCharsets.UTF_8))));

    @BeforeEach
    void mountSmallDisk() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "needs Linux to mount a tmpfs");
        disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        String out = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.toString());
        Assumptions.assumeTrue(out == null, "cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): " + out);
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        if (!mounted) return;
        String out = run("umount", disk.toString());
        if (out != null) {
            String lazy = run("umount", "-l", disk.toString());
            assertNull(lazy, "could not unmount " + disk + ": " + out + " / " + lazy);
        }
    }

    /** Runs a command; null when it exited 0, else its exit code and output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return "cannot run " + command[0] + ": " + e.getMessage();
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int code = p.waitFor();
        return code == 0 ? null : "exit " + code + ": " + text;
    }

    private void growDisk() throws Exception {
        assertNull(run("mount", "-o", "remount,size=16m", disk.toString()));
    }

    private ChronicleAuditLog open() {
        return ChronicleAuditLog.open(AuditLogOptions.defaults(disk.resolve("audit"), "magistrate.test/diskfull", SIGNER));
    }

    private static VerificationResult verify(Path dir) {
        return new AuditLogVerifier(SIGNER.verifier()).verify(dir);
    }

    /** One T0 call with a 3 KB argument: authorize, verify the warrant, complete. */
    private static void call(GovernorHarness h, int n) {
        Map<String, Object> args = Map.of("n", n, "pad", "p".repeat(3000));
        Intent intent = GovernorHarness.intent("read_logs").args(args).build();
        Warrant w = h.governor.authorize(intent);
        h.governor.verify(w, "read_logs", args).completed("ok " + n);
    }

    /** Calls until one is denied; returns how many worked. */
    private static int fillUntilDenied(GovernorHarness h) {
        for (int n = 0; n < 20_000; n++) {
            try {
                call(h, n);
            } catch (DeniedException e) {
                assertEquals(DenialStage.AUDIT, e.stage(), e.getMessage());
                return n;
            }
        }
        throw new AssertionError("a 4 MiB disk never filled");
    }

    private static List<AuditEventType> types(Path dir) {
        List<AuditEventType> types = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) types.add(d.event().type());
        }
        return types;
    }

    @Test
    void aFullDiskDeniesCallsAndWhenSpaceReturnsTheNextCallWorksAndTheLogVerifies() throws Exception {
        Path dir = disk.resolve("audit");
        try (ChronicleAuditLog log = open();
             GovernorHarness h = new GovernorHarness(tmp, TestPolicy.always(TestPolicy.allow()), null, log)) {
            int worked = fillUntilDenied(h);
            assertTrue(worked > 50, "only " + worked + " calls before the disk filled");
            // Still full: fail closed.
            Thread.sleep(1_100);
            DeniedException again = assertThrows(DeniedException.class, () -> call(h, -1));
            assertEquals(DenialStage.AUDIT, again.stage());
            assertTrue(again.getMessage().contains("audit"), again.getMessage());

            growDisk();
            Thread.sleep(1_100); // one recovery attempt per second
            call(h, -2);
            call(h, -3);
        }
        VerificationResult r = verify(dir);
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        List<AuditEventType> types = types(dir);
        assertEquals(1, types.stream().filter(t -> t == AuditEventType.LOG_RECOVERED).count(),
                "the torn write is recorded once: " + types.subList(Math.max(0, types.size() - 20), types.size()));
        assertEquals(AuditEventType.EXECUTION_COMPLETED, types.get(types.size() - 1));
    }

    @Test
    void aLogLeftTornByAFullDiskIsADamagedTailNotTamperingAndTheNextStartRecoversIt() throws Exception {
        Path dir = disk.resolve("audit");
        int worked;
        try (ChronicleAuditLog log = open();
             GovernorHarness h = new GovernorHarness(tmp, TestPolicy.always(TestPolicy.allow()), null, log)) {
            worked = fillUntilDenied(h);
        }
        growDisk(); // space returns while nothing runs; the process that filled it is gone
        // Where the failed write stopped decides which: a published record whose pages read as zeros
        // (DAMAGED_TAIL) or a header never completed (INCOMPLETE_TAIL). Never tampering.
        VerificationResult torn = verify(dir);
        assertTrue(torn.status() == VerificationResult.Status.DAMAGED_TAIL || torn.status() == VerificationResult.Status.INCOMPLETE_TAIL,
                torn.summary());
        assertFalse(torn.tampered());
        assertTrue(torn.summary().contains("full disk") || torn.summary().contains("disk filled up"), torn.summary());
        long intact = torn.entries();
        assertEquals(intact, torn.index());
        boolean published = torn.status() == VerificationResult.Status.DAMAGED_TAIL;

        try (ChronicleAuditLog log = open();
             GovernorHarness h = new GovernorHarness(tmp, TestPolicy.always(TestPolicy.allow()), null, log)) {
            call(h, worked + 1);
        }
        VerificationResult r = verify(dir);
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        List<AuditEventType> types = types(dir);
        if (published) {
            assertEquals(AuditEventType.LOG_RECOVERED, types.get((int) intact), "the damage is audited right after the intact entries");
            assertEquals(intact + 1 + 6, types.size());
        } else {
            assertEquals(intact + 6, types.size(), "the unfinished record is overwritten by the next writer");
        }
    }

    /**
     * Four threads fill the disk at once, so that many entries are written by the thread holding the log's lock for
     * another (flat combining), the failing one among them. Every caller is told the truth: each index handed out holds
     * that caller's entry after recovery, and no entry stands in the log for a caller that was told its write failed.
     */
    @Test
    void threadsThatFillTheDiskTogetherAreEachToldTheTruth() throws Exception {
        Path dir = disk.resolve("audit");
        Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        int refused;
        try (ChronicleAuditLog log = open()) {
            CountDownLatch go = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String thread = "t" + t;
                Thread w = new Thread(() -> {
                    try {
                        go.await();
                        for (int n = 0; n < 20_000; n++) {
                            String marker = thread + "-" + n;
                            try {
                                acknowledged.put(log.append(AuditEvent.of(AuditEventType.INTENT_ABANDONED, marker,
                                        java.time.Instant.now(), "reason", marker + " " + "x".repeat(2000))), marker);
                            } catch (IllegalStateException full) {
                                refusals.incrementAndGet();
                                return;
                            }
                        }
                        unexpected.add(new AssertionError(thread + ": a 4 MiB disk never filled"));
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                });
                w.start();
                threads.add(w);
            }
            go.countDown();
            for (Thread w : threads) w.join(120_000);
            refused = refusals.get();
        }
        assertEquals(List.of(), unexpected);
        assertEquals(4, refused, "each thread was refused once the disk was full");
        assertTrue(acknowledged.size() > 100, "only " + acknowledged.size() + " entries before the disk filled");
        growDisk();
        try (ChronicleAuditLog log = open()) {
            assertTrue(log.size() >= acknowledged.size());
        }
        assertEquals(VerificationResult.Status.OK, verify(dir).status(), verify(dir).summary());
        Map<Long, String> inLog = new java.util.HashMap<>();
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) {
                if (d.event().type() == AuditEventType.INTENT_ABANDONED) inLog.put(d.index(), d.event().intentId());
            }
        }
        assertEquals(acknowledged, inLog, "the entries in the log are exactly those whose callers were given an index");
    }
}
