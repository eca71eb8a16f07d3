package dev.magistrate.audit;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Deletes daily cycle files beyond the retention count. A cycle file is only ever deleted when the
 * oldest file kept starts with a signed checkpoint: that checkpoint (with its frontier) lets the
 * verifier check everything after it, and summarises what was pruned.
 */
final class RetentionPolicy {

    private RetentionPolicy() {
    }

    /**
     * Deletes expired cycle files. Runs while the caller holds the directory lock: before the writer
     * opens its queue ({@code live} null), or under the append lock right after the first checkpoint of
     * a new daily cycle ({@code live} is the writer's queue, whose cached listing is then refreshed).
     */
    static List<Path> prune(Path dir, int retainCycles, SingleChronicleQueue live) {
        List<Path> deleted = new ArrayList<>();
        if (retainCycles <= 0 || !AuditLogReader.hasQueue(dir)) return deleted;
        List<Path> cycleFiles;
        try (Stream<Path> files = Files.list(dir)) {
            cycleFiles = files.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list audit directory " + dir, e);
        }
        if (cycleFiles.size() <= retainCycles) return deleted;
        int keepFrom = -1;
        SingleChronicleQueue queue = live != null ? live : ChronicleQueues.open(dir, true, Clock.systemUTC(), null);
        try (ExcerptTailer tailer = queue.createTailer()) {
            List<Integer> cycles = new ArrayList<>();
            for (int c = queue.firstCycle(); c <= queue.lastCycle(); c++) {
                if (tailer.moveToCycle(c)) cycles.add(c);
            }
            if (cycles.size() != cycleFiles.size()) return deleted; // unexpected files: touch nothing
            for (int i = cycles.size() - retainCycles; i >= 1; i--) {
                if (tailer.moveToCycle(cycles.get(i)) && startsWithCheckpoint(tailer)) {
                    keepFrom = i;
                    break;
                }
            }
        } finally {
            if (live == null) queue.close();
        }
        for (int i = 0; i < keepFrom; i++) {
            try {
                Files.delete(cycleFiles.get(i));
                deleted.add(cycleFiles.get(i));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete expired audit cycle " + cycleFiles.get(i), e);
            }
        }
        if (!deleted.isEmpty()) {
            // The writer's queue rewrites the cycle range cached in metadata.cq4t; read-only opens cannot.
            if (live != null) live.refreshDirectoryListing();
            else ChronicleQueues.open(dir, false, Clock.systemUTC(), null).close();
        }
        return deleted;
    }

    private static boolean startsWithCheckpoint(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() && dc.wire().bytes().readRemaining() > 0
                    && dc.wire().bytes().peekUnsignedByte() == LogRecord.CHECKPOINT;
        }
    }
}
