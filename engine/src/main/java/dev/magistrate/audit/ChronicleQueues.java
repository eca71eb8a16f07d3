package dev.magistrate.audit;

import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.StoreFileListener;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.nio.file.Path;
import java.time.Clock;

/**
 * The one place where audit queues are opened, so that Chronicle's analytics are switched off
 * before any Chronicle class initialises (it would otherwise try to reach an analytics host).
 */
final class ChronicleQueues {

    static {
        System.setProperty("chronicle.analytics.disable", "true");
    }

    /** How long Chronicle waits on a header or lock left by a dead writer before recovering it. */
    static final long RECOVERY_TIMEOUT_MS = 2_000;

    private ChronicleQueues() {
    }

    static void ensureConfigured() {
        // Loading this class ran the static initialiser; nothing else to do.
    }

    static SingleChronicleQueue open(Path dir, boolean readOnly, Clock clock, StoreFileListener listener) {
        SingleChronicleQueueBuilder b = SingleChronicleQueueBuilder.binary(dir)
                .rollCycle(RollCycles.FAST_DAILY)
                .timeProvider(clock::millis)
                .timeoutMS(RECOVERY_TIMEOUT_MS)
                .readOnly(readOnly);
        if (listener != null) b.storeFileListener(listener);
        SingleChronicleQueue queue = b.build();
        // Cycle files may have been deleted by retention since the listing was cached in metadata.cq4t.
        queue.refreshDirectoryListing();
        return queue;
    }
}
