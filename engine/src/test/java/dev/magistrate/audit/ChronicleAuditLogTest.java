package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class ChronicleAuditLogTest {

    @TempDir
    Path tmp;

    @Test
    void honestLogVerifiesCleanAndEntriesReadBackAsWritten() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            for (long n = 0; n < 10; n++) assertEquals(n, log.append(event(n)));
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals("OK 10 entries", r.summary());
        assertEquals(10, r.lastCheckpoint().size());
        List<AuditEvent> read = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (rec instanceof LogRecord.Entry e) read.add(CanonicalEntry.decode(e.bytes()).event());
            }
        }
        assertEquals(10, read.size());
        for (int n = 0; n < 10; n++) assertEquals(event(n), read.get(n));
        assertTrue(Files.readString(dir.resolve("checkpoint")).startsWith(ORIGIN + "\n10\n"));
    }

    @Test
    void reopeningContinuesTheChainAndTheTree() {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 7);
        }
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            assertEquals(7, log.size());
            assertEquals(7, log.append(event(7)));
            appendEvents(log, 8, 5);
        }
        assertEquals("OK 13 entries", verifier().verify(dir).summary());
    }

    @Test
    void checkpointsAreWrittenEveryNEntriesIntoTheQueueAndTheFile() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(4, 0))) {
            appendEvents(log, 0, 9);
            // 9 entries, checkpoints at 4 and 8: entry 8 is not yet signed.
            Checkpoint onDisk = signer().verifier().verify(Files.readString(dir.resolve("checkpoint")));
            assertEquals(8, onDisk.size());
            VerificationResult live = verifier().verify(dir);
            assertEquals(VerificationResult.Status.UNSIGNED_TAIL, live.status(), live.summary());
            assertEquals(8, live.index());
        }
        int checkpoints = 0;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) if (rec instanceof LogRecord.CheckpointRecord) checkpoints++;
        }
        assertEquals(4, checkpoints, "on open (size 0), at 4, at 8, on close (9)");
        assertEquals("OK 9 entries", verifier().verify(dir).summary());
    }

    @Test
    void checkpointIsWrittenByTimeWhenTheLogIsQuiet() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(0, 50))) {
            log.append(event(0));
            long deadline = System.nanoTime() + 5_000_000_000L;
            Checkpoint cp = null;
            while (System.nanoTime() < deadline) {
                cp = signer().verifier().verify(Files.readString(dir.resolve("checkpoint")));
                if (cp.size() == 1) break;
                Thread.sleep(10);
            }
            assertEquals(1, cp.size(), "a timed checkpoint signs the quiet tail");
            assertEquals("OK 1 entries", verifier().verify(dir).summary());
        }
    }

    @Test
    void aSecondLogOnTheSameDirectoryInThisJvmIsRefused() {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChronicleAuditLog.open(options(dir)));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
            log.append(event(0));
        }
        try (ChronicleAuditLog again = ChronicleAuditLog.open(options(dir))) {
            assertEquals(1, again.size(), "the lock is released on close");
        }
    }

    @Test
    void verifyingAMissingDirectoryIsAnErrorNotAnEmptyLog() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> verifier().verify(tmp.resolve("nowhere")));
        assertTrue(e.getMessage().contains("no audit directory"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> verifier().verify(tmp, "not a checkpoint"));
    }

    @Test
    void appendAfterCloseFails() {
        ChronicleAuditLog log = ChronicleAuditLog.open(options(tmp.resolve("audit")));
        log.close();
        assertThrows(IllegalStateException.class, () -> log.append(event(0)));
    }

    @Test
    void openingATamperedLogIsRefused() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 5);
        }
        Path cycle = cycleFile(dir);
        long at = find(cycle, "MARKER-000002");
        overwrite(cycle, at + 12, new byte[]{'9'});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChronicleAuditLog.open(options(dir)));
        assertTrue(e.getMessage().contains("TAMPERED at entry 2"), e.getMessage());
    }

    @Test
    void everySyncSettingProducesAVerifiableLog() {
        for (Durability d : Durability.values()) {
            Path dir = tmp.resolve("audit-" + d);
            try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withDurability(d).withCheckpointEvery(10, 0))) {
                appendEvents(log, 0, 25);
            }
            assertEquals("OK 25 entries", verifier().verify(dir).summary(), d.name());
        }
    }

    @Test
    void hundredThousandEntriesFromEightThreadsFormOneVerifiedSequence() throws Exception {
        Path dir = tmp.resolve("audit");
        int threads = 8;
        int perThread = 12_500;
        ConcurrentLinkedQueue<long[]> indexes = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    long[] mine = new long[perThread];
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) mine[i] = log.append(event((long) id * perThread + i));
                    indexes.add(mine);
                });
                w.start();
                workers.add(w);
            }
            go.countDown();
            for (Thread w : workers) w.join();
        }
        long wrote = System.nanoTime() - start;
        BitSet seen = new BitSet();
        for (long[] mine : indexes) {
            for (int i = 0; i < mine.length; i++) {
                assertFalse(seen.get((int) mine[i]), "index handed out twice: " + mine[i]);
                seen.set((int) mine[i]);
                if (i > 0) assertTrue(mine[i] > mine[i - 1], "one thread's entries keep their order");
            }
        }
        assertEquals(threads, indexes.size());
        assertEquals(threads * perThread, seen.cardinality());
        assertEquals(threads * perThread, seen.nextClearBit(0));
        long verifyStart = System.nanoTime();
        VerificationResult r = verifier().verify(dir);
        long verified = System.nanoTime() - verifyStart;
        assertEquals("OK 100000 entries", r.summary());
        System.out.printf("100000 entries from %d threads: append %d ms, verify %d ms%n", threads, wrote / 1_000_000, verified / 1_000_000);
    }

    @Test
    void aLiveLogVerifiesWhileThreadsAppendAndCheckpoint() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(7, 3))) {
            AtomicLong next = new AtomicLong();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Thread w = new Thread(() -> {
                    for (int i = 0; i < 3000; i++) log.append(event(next.getAndIncrement()));
                });
                w.start();
                writers.add(w);
            }
            int verifications = 0;
            while (writers.stream().anyMatch(Thread::isAlive) || verifications == 0) {
                VerificationResult r = verifier().verify(dir);
                assertFalse(r.tampered(), "a live log must never look tampered: " + r.summary());
                verifications++;
            }
            for (Thread w : writers) w.join();
            assertTrue(verifications > 0);
        }
        assertEquals("OK 6000 entries", verifier().verify(dir).summary());
    }

    @Test
    void cyclesRollDailyTheChainContinuesAndRetentionPrunesBehindACheckpoint() throws Exception {
        Path dir = tmp.resolve("audit");
        MutableClock clock = new MutableClock(Instant.parse("2026-11-20T12:00:00Z"));
        AuditLogOptions opts = options(dir).withClock(clock).withCheckpointEvery(0, 0);
        try (ChronicleAuditLog log = ChronicleAuditLog.open(opts)) {
            for (int day = 0; day < 4; day++) {
                if (day > 0) clock.advanceDays(1);
                appendEvents(log, day * 10L, 10);
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(4, files.filter(p -> p.toString().endsWith(".cq4")).count(), "one file per day");
        }
        assertEquals("OK 40 entries", verifier().verify(dir).summary());

        try (ChronicleAuditLog log = ChronicleAuditLog.open(opts.withRetainCycles(2))) {
            appendEvents(log, 40, 3);
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.filter(p -> p.toString().endsWith(".cq4")).count(), "two days retained");
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals("OK 43 entries", r.summary());
        assertEquals(20, r.firstIndex(), "days 1 and 2 (entries 0..19) were pruned, summarised by the checkpoint at 20");
    }

    @Test
    void aLongRunningWriterPrunesWhenANewDayBegins() throws Exception {
        Path dir = tmp.resolve("audit");
        MutableClock clock = new MutableClock(Instant.parse("2026-11-20T12:00:00Z"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withClock(clock).withCheckpointEvery(0, 0).withRetainCycles(2))) {
            for (int day = 0; day < 5; day++) {
                if (day > 0) clock.advanceDays(1);
                appendEvents(log, day * 10L, 10);
                try (var files = Files.list(dir)) {
                    assertEquals(Math.min(day + 1, 2), files.filter(p -> p.toString().endsWith(".cq4")).count(), "day " + day);
                }
                VerificationResult live = verifier().verify(dir);
                assertFalse(live.tampered(), live.summary());
                assertEquals(Math.max(0, day - 1) * 10L, live.firstIndex(), "day " + day);
            }
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals("OK 50 entries", r.summary());
        assertEquals(30, r.firstIndex());
    }

    static final class MutableClock extends Clock {
        private final AtomicLong millis;

        MutableClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        void advanceDays(int days) {
            millis.addAndGet(days * 86_400_000L);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }
    }
}
