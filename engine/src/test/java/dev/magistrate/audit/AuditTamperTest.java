package dev.magistrate.audit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Tampering with the real files of a real queue: by editing bytes of the cycle file in place, and by an
 * attacker with write access who rewrites the queue through Chronicle. Each is reported at its index.
 */
class AuditTamperTest {

    static final int ENTRIES = 100;

    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void writeHonestLog() {
        dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(25, 0))) {
            appendEvents(log, 0, ENTRIES);
        }
    }

    private VerificationResult verify() {
        return verifier().verify(dir);
    }

    private static void assertTamperedAt(long index, String reasonPart, VerificationResult r) {
        assertEquals(VerificationResult.Status.TAMPERED, r.status(), r.summary());
        assertEquals(index, r.index(), r.summary());
        assertTrue(r.reason().contains(reasonPart), r.summary());
        assertTrue(r.summary().startsWith("TAMPERED at entry " + index + ": "), r.summary());
    }

    @Test
    void honestQueueVerifiesClean() {
        assertEquals("OK 100 entries", verify().summary());
    }

    // --- edits of the cycle file in place ---

    @Test
    void flippedByteInAnEntryPayloadIsReportedAtThatEntry() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "MARKER-000042");
        overwrite(cycle, at + 10, new byte[]{'7'}); // still valid JSON, different content
        assertTamperedAt(42, "content changed: entry 42 no longer matches", verify());
    }

    @Test
    void flippedByteThatBreaksTheJsonIsReportedAtThatEntry() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "MARKER-000042");
        overwrite(cycle, at - 1, new byte[]{'{'});
        assertTamperedAt(42, "content changed", verify());
    }

    @Test
    void flippedByteInAnEntrysLinkIsReportedAtThatEntry() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "{\"index\":57,\"prev\":\"") + "{\"index\":57,\"prev\":\"".length() + 5;
        int old = readByte(cycle, at);
        overwrite(cycle, at, new byte[]{(byte) (old == 'a' ? 'b' : 'a')});
        assertTamperedAt(57, "entry 57 no longer links to entry 56", verify());
    }

    @Test
    void changedIndexFieldIsReportedAtThatEntry() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "{\"index\":63,");
        overwrite(cycle, at + 9, new byte[]{'7'}); // entry 63 now claims to be 73
        assertTamperedAt(63, "entry 63 says it is entry 73", verify());
    }

    @Test
    void changedLastEntryIsCaughtByTheFinalCheckpointRoot() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "MARKER-000099");
        overwrite(cycle, at + 12, new byte[]{'8'});
        assertTamperedAt(99, "root mismatch", verify());
    }

    @Test
    void forgedCheckpointSignatureInTheQueueIsReported() throws Exception {
        Path cycle = cycleFile(dir);
        long at = find(cycle, "\u2014 " + KEY_NAME + " ") + ("\u2014 " + KEY_NAME + " ").getBytes(StandardCharsets.UTF_8).length + 20;
        int old = readByte(cycle, at);
        overwrite(cycle, at, new byte[]{(byte) (old == 'A' ? 'B' : 'A')});
        VerificationResult r = verify();
        assertTamperedAt(0, "checkpoint signature bad", r);
    }

    @Test
    void truncatedCycleFileIsCaughtByTheCheckpointFile() throws Exception {
        Path cycle = cycleFile(dir);
        long from4 = find(cycle, "{\"index\":60,") - 5; // Chronicle's 4-byte header and our kind byte come first
        assertEquals(0, from4 % 4, "Chronicle headers are 4-byte aligned");
        long length = Files.size(cycle);
        // Zero everything from entry 60 on, as a truncate-and-extend would.
        try (var raf = new java.io.RandomAccessFile(cycle.toFile(), "rw")) {
            byte[] zeros = new byte[1 << 16];
            for (long p = from4; p < Math.min(length, from4 + (8 << 20)); p += zeros.length) {
                raf.seek(p);
                raf.write(zeros);
            }
        }
        assertTamperedAt(60, "log truncated or rolled back: the checkpoint file is signed for 100 entries but the log holds only 60", verify());
    }

    // --- an attacker with write access who rewrites the queue through Chronicle ---

    @Test
    void deletedEntryIsReportedAtItsIndex() throws Exception {
        rewrite(records -> without(records, entryPosition(records, 42)));
        assertTamperedAt(42, "entry 42 removed", verify());
    }

    @Test
    void deletedRunOfEntriesIsReportedAtTheFirst() throws Exception {
        rewrite(records -> {
            List<LogRecord> out = new ArrayList<>(records);
            for (int i = 30; i < 33; i++) out.remove(entryPosition(out, i));
            return out;
        });
        assertTamperedAt(30, "entries 30..32 removed", verify());
    }

    @Test
    void swappedEntriesAreReportedAsReordered() throws Exception {
        rewrite(records -> {
            List<LogRecord> out = new ArrayList<>(records);
            int a = entryPosition(out, 42);
            int b = entryPosition(out, 43);
            LogRecord tmpRec = out.get(a);
            out.set(a, out.get(b));
            out.set(b, tmpRec);
            return out;
        });
        assertTamperedAt(42, "entries reordered", verify());
    }

    @Test
    void changedEntryWithItsLinkKeptIsReportedAtThatEntry() throws Exception {
        rewrite(records -> {
            List<LogRecord> out = new ArrayList<>(records);
            int p = entryPosition(out, 42);
            CanonicalEntry.Decoded d = CanonicalEntry.decode(((LogRecord.Entry) out.get(p)).bytes());
            AuditEvent forged = AuditEvent.of(AuditEventType.DECISION, d.event().intentId(), d.event().time(), "effect", "allow");
            out.set(p, new LogRecord.Entry(0, CanonicalEntry.encode(42, d.prev(), forged)));
            return out;
        });
        assertTamperedAt(42, "content changed: entry 42", verify());
    }

    @Test
    void droppedTailIsCaughtByTheCheckpointFile() throws Exception {
        rewrite(records -> records.subList(0, entryPosition(records, 80)));
        assertTamperedAt(80, "log truncated or rolled back: the checkpoint file is signed for 100 entries but the log holds only 80", verify());
    }

    @Test
    void restoredOlderCopyOfTheDirectoryIsCaughtByACheckpointKeptElsewhere() throws Exception {
        Path backup = tmp.resolve("backup");
        copyTree(dir, backup);
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, ENTRIES, 50);
        }
        String keptElsewhere = Files.readString(dir.resolve("checkpoint"));
        deleteTree(dir);
        copyTree(backup, dir);
        assertEquals("OK 100 entries", verify().summary(), "on its own the old copy is a consistent log");
        VerificationResult r = verifier().verify(dir, keptElsewhere);
        assertTamperedAt(100, "rolled back", r);
    }

    @Test
    void rewrittenHistoryWithRecomputedLinksIsCaughtByACheckpointKeptElsewhere() throws Exception {
        String keptElsewhere = Files.readString(dir.resolve("checkpoint"));
        // The attacker rebuilds the whole log with a different entry 10, recomputing every link, keeps no checkpoints.
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (rec instanceof LogRecord.Entry e) events.add(CanonicalEntry.decode(e.bytes()).event());
            }
        }
        events.set(10, AuditEvent.of(AuditEventType.DECISION, "intent-10", events.get(10).time(), "effect", "allow"));
        List<LogRecord> forged = new ArrayList<>();
        byte[] prev = CanonicalEntry.NO_PREVIOUS;
        for (int i = 0; i < events.size(); i++) {
            byte[] bytes = CanonicalEntry.encode(i, prev, events.get(i));
            forged.add(new LogRecord.Entry(0, bytes));
            prev = MerkleTree.leafHash(bytes);
        }
        writeQueue(dir, forged, true);
        VerificationResult local = verify();
        assertEquals(VerificationResult.Status.UNSIGNED_TAIL, local.status(), "without checkpoints it is only a warning: " + local.summary());
        assertEquals(0, local.index());
        VerificationResult r = verifier().verify(dir, keptElsewhere);
        assertEquals(VerificationResult.Status.TAMPERED, r.status(), r.summary());
        assertTrue(r.reason().contains("root mismatch"), r.summary());
    }

    @Test
    void wholeLogReplacedWithoutTheKeyIsReportedFromEntryZero() throws Exception {
        deleteTree(dir);
        CheckpointSigner attacker = CheckpointSigner.fromSeed(KEY_NAME, seed("attacker"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir, ORIGIN, attacker))) {
            appendEvents(log, 0, ENTRIES);
        }
        assertEquals("OK 100 entries", new AuditLogVerifier(attacker.verifier()).verify(dir).summary(), "valid under the attacker's own key");
        assertTamperedAt(0, "checkpoint signature bad", verify());
    }

    // --- helpers ---

    private static int entryPosition(List<LogRecord> records, long index) {
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i) instanceof LogRecord.Entry e && CanonicalEntry.decode(e.bytes()).index() == index) return i;
        }
        throw new IllegalArgumentException("no entry " + index);
    }

    private static List<LogRecord> without(List<LogRecord> records, int position) {
        List<LogRecord> out = new ArrayList<>(records);
        out.remove(position);
        return out;
    }

    /** Reads every record, lets {@code edit} change the list, and writes a fresh queue in its place (keeping the checkpoint file). */
    private void rewrite(UnaryOperator<List<LogRecord>> edit) throws Exception {
        List<LogRecord> records = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) records.add(rec);
        }
        writeQueue(dir, edit.apply(records), false);
    }

    private void writeQueue(Path target, List<LogRecord> records, boolean dropCheckpointFile) throws Exception {
        Path checkpoint = tmp.resolve("checkpoint.saved");
        Files.copy(target.resolve("checkpoint"), checkpoint, StandardCopyOption.REPLACE_EXISTING);
        deleteTree(target);
        Files.createDirectories(target);
        try (SingleChronicleQueue q = ChronicleQueues.open(target, false, Clock.systemUTC(), null);
             ExcerptAppender appender = q.createAppender()) {
            for (LogRecord r : records) {
                byte[] doc;
                if (r instanceof LogRecord.Entry e) doc = LogRecord.encodeEntry(e.bytes());
                else if (r instanceof LogRecord.CheckpointRecord c) doc = LogRecord.encodeCheckpoint(c.note(), c.lastLeafHash(), c.frontier());
                else throw new IllegalStateException("unreadable record in the source log");
                appender.writeBytes(Bytes.wrapForRead(doc));
            }
        }
        if (!dropCheckpointFile) Files.copy(checkpoint, target.resolve("checkpoint"));
    }
}
