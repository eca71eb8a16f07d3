package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * In the {@code mapped} durability the checkpoint file is written by the log's timer thread behind the appender; the
 * checkpoint record in the queue is still written in place. These prove that the file catches up, never goes back,
 * is complete when the log closes, and that a file the timer cannot write stops appends as a failed write would.
 */
class CheckpointFileBehindTest {

    /** Generous: the file is normally written within milliseconds; a loaded machine may take longer, never this long. */
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    Path tmp;

    @Test
    void theFileCatchesUpWithTheQueueAndNeverGoesBack() throws Exception {
        Path dir = tmp.resolve("audit");
        // By count every 100 entries; by time only after a minute, so that every checkpoint here comes from the count.
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(100, 60_000))) {
            long seen = 0;
            for (long n = 0; n < 2_000; n++) {
                log.append(event(n));
                if (n % 50 == 0) {
                    long size = fileSize(dir);
                    assertTrue(size >= seen, "the checkpoint file went back from " + seen + " to " + size);
                    assertEquals(0, size % 100, "only count checkpoints are signed here: " + size);
                    seen = size;
                }
            }
            long deadline = System.nanoTime() + DEADLINE_NANOS;
            while (fileSize(dir) != 2_000 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(2_000, fileSize(dir), "the file holds the last checkpoint signed");
            assertEquals(lastQueueNote(dir), Files.readString(dir.resolve(AuditLogVerifier.CHECKPOINT_FILE)),
                    "the file holds the very note the queue holds");
            assertEquals("OK 2000 entries", verifier().verify(dir).summary());
        }
    }

    @Test
    void closingWritesTheFileItDidNotWriteYet() throws Exception {
        Path dir = tmp.resolve("audit");
        for (int run = 0; run < 5; run++) {
            try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(100, 60_000))) {
                appendEvents(log, 100L * run, 100); // the 100th entry hands a note to the timer thread; close follows at once
            }
            assertEquals(100L * (run + 1), fileSize(dir), "after close, run " + run);
            assertEquals(lastQueueNote(dir), Files.readString(dir.resolve(AuditLogVerifier.CHECKPOINT_FILE)));
        }
        assertEquals("OK 500 entries", verifier().verify(dir).summary());
    }

    @Test
    void aFileTheTimerCannotWriteDeniesAppendsUntilItCanAgainAndTheFailureIsAudited() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(100, 60_000))) {
            // The file is replaced by renaming checkpoint.tmp over it: a directory in its place cannot be opened.
            Path blocker = dir.resolve(AuditLogVerifier.CHECKPOINT_FILE + ".tmp");
            Files.createDirectories(blocker.resolve("in-the-way"));
            appendEvents(log, 0, 100);

            long deadline = System.nanoTime() + DEADLINE_NANOS;
            IllegalStateException refused = null;
            long n = 100;
            while (refused == null && System.nanoTime() < deadline) {
                try {
                    log.append(event(n));
                    n++;
                    Thread.sleep(5);
                } catch (IllegalStateException e) {
                    refused = e;
                }
            }
            assertNotNull(refused, "appends go on although the checkpoint file cannot be written");
            assertTrue(refused.getMessage().contains("denied"), refused.getMessage());

            Files.delete(blocker.resolve("in-the-way"));
            Files.delete(blocker);
            deadline = System.nanoTime() + DEADLINE_NANOS;
            boolean writesAgain = false;
            while (!writesAgain && System.nanoTime() < deadline) {
                try {
                    log.append(event(n));
                    writesAgain = true;
                } catch (IllegalStateException stillRefused) {
                    Thread.sleep(50); // recovery is tried at most once a second
                }
            }
            assertTrue(writesAgain, "the log does not write again after the checkpoint file can be written");
        }
        VerificationResult r = verifier().verify(dir);
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        List<AuditEventType> types = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (rec instanceof LogRecord.Entry e) types.add(CanonicalEntry.decode(e.bytes()).event().type());
            }
        }
        assertTrue(types.contains(AuditEventType.LOG_RECOVERED), "the failed write is audited: " + types.subList(Math.max(0, types.size() - 3), types.size()));
    }

    private static long fileSize(Path dir) throws Exception {
        return signer().verifier().verify(Files.readString(dir.resolve(AuditLogVerifier.CHECKPOINT_FILE))).size();
    }

    private static String lastQueueNote(Path dir) throws Exception {
        String last = null;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) if (rec instanceof LogRecord.CheckpointRecord c) last = c.note();
        }
        return last;
    }
}
