package dev.magistrate.audit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pretoucher on a real queue on disk: it touches the pages ahead of the writer through the appender's own mapping,
 * and changes no byte, neither of the records written nor of the room ahead, while the writer keeps writing into the
 * pages it touches.
 */
class AuditPretoucherTest {

    /** Generous for a loaded machine: the thread looks every 5 ms. */
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path tmp;

    @Test
    void pagesAheadOfTheWriterAreTouchedAndEveryRecordReadsBackAsWritten() throws Exception {
        AuditPretoucher pretoucher = AuditPretoucher.start(tmp, () -> tmp.toFile().getUsableSpace());
        try (SingleChronicleQueue queue = ChronicleQueues.open(tmp, false, Clock.systemUTC(), null)) {
            ExcerptAppender appender = queue.createAppender();
            int records = 20_000; // about 12 MB: the writer crosses thousands of touched pages
            long lastEnd = 0;
            for (int i = 0; i < records; i++) {
                appender.writeBytes(Bytes.wrapForRead(record(i)));
                Bytes<?> written = appender.wire().bytes();
                pretoucher.wrote(written);
                lastEnd = written.writePosition();
                if (i == 100) {
                    long end = lastEnd;
                    awaitTouched(pretoucher, end + AuditPretoucher.AHEAD_BYTES);
                }
            }
            long end = lastEnd;
            long touched = awaitTouched(pretoucher, end + AuditPretoucher.AHEAD_BYTES);

            // The room the thread touched is still zeros: the compare-and-set of 0 with 0 wrote nothing.
            Bytes<?> file = appender.wire().bytes();
            long to = Math.min(touched, end + AuditPretoucher.AHEAD_BYTES);
            for (long p = (end + 4095) & -4096L; p < to; p += 4096) {
                assertEquals(0L, file.bytesStore().readLong(p), "a touched page ahead of the writer changed at " + p);
            }

            ExcerptTailer tailer = queue.createTailer();
            for (int i = 0; i < records; i++) {
                Bytes<?> read = Bytes.allocateElasticOnHeap();
                assertTrue(tailer.readBytes(read), "record " + i + " is missing");
                assertArrayEquals(record(i), read.toByteArray(), "record " + i);
            }
            assertFalse(tailer.readBytes(Bytes.allocateElasticOnHeap()), "more records than written");
        } finally {
            pretoucher.close();
        }
    }

    private static long awaitTouched(AuditPretoucher pretoucher, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (pretoucher.touchedUpTo() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "the pages ahead of the writer were not touched: up to "
                    + pretoucher.touchedUpTo() + ", expected " + atLeast);
            Thread.sleep(2);
        }
        return pretoucher.touchedUpTo();
    }

    /** About 600 bytes, different for each record, like an audit entry. */
    private static byte[] record(int i) {
        return ("{\"index\":" + i + ",\"pad\":\"" + Integer.toHexString(i * 7919).repeat(80) + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
