package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** An entry whose thread finds the log's lock taken is written by the thread that holds it (flat combining). */
class CombinedAppendTest {

    @TempDir
    Path tmp;

    @Test
    void anEntryThatWaitsIsWrittenByTheHolderAtTheIndexItsCallerGets() throws Exception {
        Path dir = tmp.resolve("audit");
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong holderIndex = new AtomicLong(-1);
        AtomicLong waiterIndex = new AtomicLong(-1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(5, 0))) {
            // The checkpoint after the fifth entry is signed under the log's lock: the listener keeps the holder there.
            log.onCheckpoint(note -> {
                holding.countDown();
                await(release);
            });
            Thread holder = thread(failed, () -> {
                for (long n = 0; n < 4; n++) log.append(event(n));
                holderIndex.set(log.append(event(4)));
            });
            assertTrue(holding.await(10, TimeUnit.SECONDS), "the holder reached the checkpoint");
            Thread waiter = thread(failed, () -> waiterIndex.set(log.append(event(100))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (log.entriesWaiting() == 0 && System.nanoTime() < deadline) Thread.sleep(1);
            assertEquals(1, log.entriesWaiting(), "the waiter's entry waits for the holder");
            assertEquals(-1, waiterIndex.get(), "nothing is written while the holder holds the lock");
            release.countDown();
            holder.join(10_000);
            waiter.join(10_000);
            assertNull(failed.get());
            assertEquals(4, holderIndex.get());
            assertEquals(5, waiterIndex.get());
            assertEquals(1, log.entriesWrittenForOthers(), "the holder wrote the waiting entry before it let go");
        }
        Map<Long, AuditEvent> read = readBack(dir);
        assertEquals(event(4), read.get(4L));
        assertEquals(event(100), read.get(5L));
        assertEquals("OK 6 entries", verifier().verify(dir).summary());
    }

    @Test
    void underContentionEveryEntryStandsAtTheIndexItsCallerWasGiven() throws Exception {
        Path dir = tmp.resolve("audit");
        int threads = 4;
        int perThread = 5_000;
        Map<Long, Long> eventAtIndex = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir).withCheckpointEvery(97, 0))) {
            CountDownLatch go = new CountDownLatch(1);
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                long first = (long) t * perThread;
                workers[t] = thread(failed, () -> {
                    await(go);
                    for (long n = first; n < first + perThread; n++) assertNull(eventAtIndex.put(log.append(event(n)), n));
                });
            }
            go.countDown();
            for (Thread w : workers) w.join(60_000);
            assertNull(failed.get());
            System.out.printf("%d entries from %d threads, %d written by another thread%n", threads * perThread, threads,
                    log.entriesWrittenForOthers());
        }
        Map<Long, AuditEvent> read = readBack(dir);
        assertEquals(threads * perThread, read.size());
        assertEquals(threads * perThread, eventAtIndex.size());
        eventAtIndex.forEach((index, n) -> assertEquals(event(n), read.get(index), "entry " + index));
        assertEquals("OK " + threads * perThread + " entries", verifier().verify(dir).summary());
    }

    private static Map<Long, AuditEvent> readBack(Path dir) throws Exception {
        Map<Long, AuditEvent> read = new HashMap<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (rec instanceof LogRecord.Entry e) {
                    CanonicalEntry.Decoded d = CanonicalEntry.decode(e.bytes());
                    read.put(d.index(), d.event());
                }
            }
        }
        return read;
    }

    private static Thread thread(AtomicReference<Throwable> failed, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failed.compareAndSet(null, e);
            }
        });
        t.start();
        return t;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
