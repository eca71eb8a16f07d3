package dev.magistrate.audit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What the hash chain, the Merkle tree and the checkpoints cost on top of a raw Chronicle append of
 * the same bytes (one thread, System.nanoTime per operation; the JMH benchmark is a later issue).
 * Prints the numbers; fails only if the chained log is pathologically slow or does not verify.
 */
class AppendCostTest {

    @TempDir
    Path tmp;

    static final int WARMUP = 50_000;
    static final int MEASURED = 200_000;

    @Test
    void chainedAppendCostsLittleMoreThanARawChronicleAppend() {
        AuditEvent[] events = new AuditEvent[WARMUP + MEASURED];
        byte[][] docs = new byte[events.length][];
        byte[] prev = CanonicalEntry.NO_PREVIOUS;
        for (int i = 0; i < events.length; i++) {
            events[i] = event(i);
            byte[] entry = CanonicalEntry.encode(i, prev, events[i]);
            docs[i] = LogRecord.encodeEntry(entry);
            prev = MerkleTree.leafHash(entry);
        }

        long[] raw = new long[MEASURED];
        try (SingleChronicleQueue q = ChronicleQueues.open(tmp.resolve("raw"), false, Clock.systemUTC(), null);
             ExcerptAppender appender = q.createAppender()) {
            Bytes<?> buffer = Bytes.allocateElasticOnHeap(512);
            for (int i = 0; i < docs.length; i++) {
                long t0 = System.nanoTime();
                buffer.clear();
                buffer.write(docs[i]);
                appender.writeBytes(buffer);
                long t1 = System.nanoTime();
                if (i >= WARMUP) raw[i - WARMUP] = t1 - t0;
            }
        }

        long[] chained = new long[MEASURED];
        Path dir = tmp.resolve("chained");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            for (int i = 0; i < events.length; i++) {
                long t0 = System.nanoTime();
                log.append(events[i]);
                long t1 = System.nanoTime();
                if (i >= WARMUP) chained[i - WARMUP] = t1 - t0;
            }
        }
        assertEquals("OK " + events.length + " entries", verifier().verify(dir).summary());

        long[] synced = new long[200];
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(tmp.resolve("synced")).withDurability(Durability.SYNC_EACH_APPEND))) {
            for (int i = 0; i < synced.length; i++) {
                long t0 = System.nanoTime();
                log.append(events[i]);
                synced[i] = System.nanoTime() - t0;
            }
        }

        String throughput = throughput(events, 1) + ", " + throughput(events, 2) + ", " + throughput(events, 8);

        System.out.printf("append of a %d-byte entry, %d measured after %d warm-up, one thread:%n", docs[WARMUP].length, MEASURED, WARMUP);
        System.out.println("  raw Chronicle writeBytes : " + stats(raw));
        System.out.println("  ChronicleAuditLog.append : " + stats(chained) + "  (encode + SHA-256 leaf + tree + chain + checkpoint every 1000)");
        System.out.println("  with SYNC_EACH_APPEND    : " + stats(synced));
        System.out.println("  throughput under the one append lock: " + throughput);
        assertTrue(mean(chained) < 100_000, "chained append averages under 100 us: " + stats(chained));
    }

    /** Appends 100,000 events spread over {@code threads} threads; returns "N threads: X appends/s". */
    private String throughput(AuditEvent[] events, int threads) {
        int total = 100_000;
        Path dir = tmp.resolve("throughput-" + threads);
        long elapsed;
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            for (int i = 0; i < 20_000; i++) log.append(events[i]); // warm-up
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            Thread[] workers = new Thread[threads];
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                workers[t] = new Thread(() -> {
                    for (int i; (i = next.getAndIncrement()) < total; ) log.append(events[i % events.length]);
                });
                workers[t].start();
            }
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            elapsed = System.nanoTime() - start;
        }
        assertEquals("OK " + (total + 20_000) + " entries", verifier().verify(dir).summary());
        return String.format("%d thread%s %,.0f appends/s", threads, threads == 1 ? "" : "s", total / (elapsed / 1e9));
    }

    private static double mean(long[] ns) {
        return Arrays.stream(ns).average().orElse(0);
    }

    private static String stats(long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return String.format("mean %,.0f ns, p50 %,d ns, p99 %,d ns, p99.9 %,d ns", mean(ns), s[s.length / 2],
                s[(int) (s.length * 0.99)], s[(int) (s.length * 0.999)]);
    }
}
