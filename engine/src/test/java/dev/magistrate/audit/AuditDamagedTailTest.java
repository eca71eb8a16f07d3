package dev.magistrate.audit;

import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A record torn by a full disk, exactly as AuditDiskFullTest saw one on a real full tmpfs: Chronicle
 * published the document, but the pages the file system could not back read as zeros. It is a damaged
 * tail, not tampering; the next writer skips it and records a LOG_RECOVERED entry; anything else after
 * it is still tampering.
 */
class AuditDamagedTailTest {

    @TempDir
    Path tmp;

    /** Appends a published document holding the first part of entry {@code index} and zeros for the rest. */
    static void writeTornEntry(Path dir, long index) {
        byte[] whole = LogRecord.encodeEntry(CanonicalEntry.encode(index, new byte[32], event(index)));
        byte[] torn = Arrays.copyOf(whole, whole.length);
        Arrays.fill(torn, whole.length / 3, whole.length, (byte) 0);
        try (SingleChronicleQueue q = ChronicleQueues.open(dir, false, Clock.systemUTC(), null);
             var appender = q.createAppender()) {
            try (DocumentContext dc = appender.writingDocument()) {
                dc.wire().bytes().write(torn);
            }
        }
    }

    static byte[] lastLeaf(Path dir) {
        byte[] last = null;
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = r.next()) != null) if (rec instanceof LogRecord.Entry e) last = e.bytes();
        }
        return MerkleTree.leafHash(last);
    }

    @Test
    void aTornLastEntryIsADamagedTailAndTheNextWriterSkipsItAndRecordsTheDamage() {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            appendEvents(log, 0, 5);
        }
        writeTornEntry(dir, 5);
        VerificationResult r = verifier().verify(dir);
        assertEquals(VerificationResult.Status.DAMAGED_TAIL, r.status(), r.summary());
        assertFalse(r.tampered());
        assertEquals(5, r.index());
        assertEquals(5, r.entries());
        assertTrue(r.summary().startsWith("OK 5 entries, WARNING damaged tail at entry 5: the write of entry 5 was cut short"), r.summary());

        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            assertEquals(6, log.size(), "the recovery entry took index 5");
            assertEquals(6, log.append(event(6)));
        }
        assertEquals("OK 7 entries", verifier().verify(dir).summary());
        List<AuditEvent> entries = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) entries.add(d.event());
        }
        assertEquals(7, entries.size(), "readers skip the torn record");
        AuditPayload.LogRecovered rec = (AuditPayload.LogRecovered) entries.get(5).payload();
        assertEquals(1, rec.damagedRecords());
        assertTrue(rec.damagedBytes() > 0);
        assertEquals(AuditPayload.LogRecovered.LOG_INTENT_ID, entries.get(5).intentId());
        assertEquals(event(6), entries.get(6));
    }

    @Test
    void aTornRecordFollowedByAnOrdinaryEntryIsStillTampering() {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(0, 0))) {
            appendEvents(log, 0, 5);
        }
        byte[] prev = lastLeaf(dir);
        writeTornEntry(dir, 5);
        try (SingleChronicleQueue q = ChronicleQueues.open(dir, false, Clock.systemUTC(), null);
             var appender = q.createAppender()) {
            try (DocumentContext dc = appender.writingDocument()) {
                dc.wire().bytes().write(LogRecord.encodeEntry(CanonicalEntry.encode(5, prev, event(5))));
            }
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals(VerificationResult.Status.TAMPERED, r.status(), r.summary());
        assertEquals(5, r.index());
        assertThrows(IllegalStateException.class, () -> ChronicleAuditLog.open(options(dir)));
    }
}
