package dev.magistrate.audit;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** Reads entries from an index on, and optionally keeps following the log as it grows (read-only). */
public final class AuditTail {

    private AuditTail() {
    }

    /**
     * Hands every entry with index >= {@code fromIndex} to {@code sink}. When {@code follow} is true it
     * keeps polling for new entries (every {@code pollMillis}) while {@code keepGoing} says so;
     * otherwise it returns at the current end. Returns the index after the last entry handed over.
     */
    public static long tail(Path dir, long fromIndex, boolean follow, long pollMillis, BooleanSupplier keepGoing,
                            Consumer<CanonicalEntry.Decoded> sink) throws InterruptedException {
        long next = fromIndex;
        AuditLogReader reader = null;
        try {
            while (true) {
                if (reader == null && AuditLogReader.hasQueue(dir)) reader = AuditLogReader.open(dir);
                CanonicalEntry.Decoded d = reader == null ? null : reader.nextEntry();
                if (d != null) {
                    if (d.index() >= next) {
                        sink.accept(d);
                        next = d.index() + 1;
                    }
                    continue;
                }
                if (!follow || !keepGoing.getAsBoolean()) return next;
                Thread.sleep(pollMillis);
            }
        } finally {
            if (reader != null) reader.close();
        }
    }
}
