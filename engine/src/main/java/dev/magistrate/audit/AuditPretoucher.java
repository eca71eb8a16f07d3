package dev.magistrate.audit;

import dev.magistrate.log.MagistrateLog;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.io.ReferenceOwner;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Takes the page faults of the audit queue's mapped file on its own thread, ahead of the writer. The first write into a
 * page of a memory-mapped file faults, and in this product's VMs a fault of a new page costs 1 to 28 us against about
 * 0.5 us for a whole append; the writer took them under the log's lock (a governed-call loop spent 5.2 s of its thread's
 * time in the kernel on them, 1.4 s with this thread). The thread touches each page up to {@link #AHEAD_BYTES} past the
 * last record with an atomic compare-and-set of 0 with 0, through the appender's own mapping (so the page table entry it
 * creates is the one the appender uses). That changes no byte: where a record is already written the word is not 0 and
 * the set fails, and an atomic instruction cannot lose the writer's store.
 *
 * <p>A chunk of the mapping is reserved while it is touched, so it cannot be unmapped under the touch (a cycle roll or a
 * close releases it afterwards). Chronicle Enterprise's pretoucher does the same; the open-source {@code pretouch()} is a
 * no-op.
 */
final class AuditPretoucher {

    /** How far past the last record pages are touched: about 7,700 governed T0 calls, 15 ms of writing at full speed. */
    static final long AHEAD_BYTES = 8L << 20;

    private static final long PAGE = 4096;
    /** Each look wakes the thread, which may preempt the writer on its CPU: every 5 ms is a look per ~900 governed calls. */
    private static final long ACTIVE_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long IDLE_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * Below this much free space nothing is touched: a touch takes disk space (it allocates the page), and the last space
     * is the writer's, so that a full disk fails the writer's own write, which the log records and recovers from.
     */
    static final long MIN_FREE_BYTES = 64L << 20;
    private static final long FREE_SPACE_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ReferenceOwner owner = ReferenceOwner.temporary("magistrate-audit-pretouch");
    private final Thread thread;
    /** Free bytes under the audit directory, or -1 when unknown: the log's own measure. */
    private final LongSupplier freeBytes;

    /** The chunk of the mapped cycle file the appender wrote into last. */
    private volatile BytesStore<?, ?> store;
    /** Where its last record ends. */
    private volatile long writtenTo;
    private volatile boolean closed;
    /** How far the chunk last seen is touched (Long.MAX_VALUE: to its end, or given up); for tests. */
    private volatile long touchedUpTo;

    private AuditPretoucher(Path directory, LongSupplier freeBytes) {
        this.freeBytes = freeBytes;
        thread = new Thread(this::run, "magistrate-audit-pretouch " + directory);
        thread.setDaemon(true);
    }

    static AuditPretoucher start(Path directory, LongSupplier freeBytes) {
        AuditPretoucher p = new AuditPretoucher(directory, freeBytes);
        p.thread.start();
        return p;
    }

    /**
     * Told by the writer, under the log's lock, after each record: where the appender's bytes now end. Two volatile writes
     * and no wake-up: waking a parked thread costs the caller 4 us at the median and 40 us at p99 in this VM, so the thread
     * looks for itself.
     */
    void wrote(Bytes<?> bytes) {
        BytesStore<?, ?> s = bytes.bytesStore();
        writtenTo = bytes.writePosition();
        if (s != store) store = s; // a new chunk or a new cycle file (whose positions start again at 0)
    }

    /** How far the pages of the chunk last written are touched. */
    long touchedUpTo() {
        return touchedUpTo;
    }

    /** Stops the thread and waits briefly for it, so that it holds no chunk when the queue closes. */
    void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        BytesStore<?, ?> touching = null;
        long touchedTo = 0;
        long lastSeen = -1;
        int idleLooks = 0;
        boolean warned = false;
        long spaceLookedAt = System.nanoTime() - FREE_SPACE_LOOK_NANOS;
        boolean spaceToTouch = false;
        while (!closed) {
            BytesStore<?, ?> s = store;
            long end = writtenTo;
            if (s != touching) {
                touching = s;
                touchedTo = 0;
            }
            if (System.nanoTime() - spaceLookedAt >= FREE_SPACE_LOOK_NANOS) {
                spaceLookedAt = System.nanoTime();
                spaceToTouch = freeBytes.getAsLong() >= MIN_FREE_BYTES;
            }
            if (s != null && spaceToTouch) {
                try {
                    touchedTo = touch(s, Math.max(touchedTo, (end + PAGE - 1) & -PAGE), end + AHEAD_BYTES);
                } catch (RuntimeException | InternalError e) {
                    // The chunk was released under us (a roll, a recovery, a close), or the file system could not back a
                    // page (InternalError: a full disk): nothing is lost, and the writer's own write meets the same fault.
                    if (!warned) {
                        warned = true;
                        MagistrateLog.info(AuditPretoucher.class, "audit pretouch skipped a chunk (said once): " + e);
                    }
                    touchedTo = Long.MAX_VALUE;
                }
            }
            touchedUpTo = touchedTo;
            // While the writer writes, look every 5 ms (it needs at least 15 ms to use the room); after a second without
            // a record, every 50 ms: a burst after a quiet spell may take its first faults itself.
            idleLooks = end == lastSeen && s == touching ? idleLooks + 1 : 0;
            lastSeen = end;
            LockSupport.parkNanos(this, idleLooks > 200 ? IDLE_LOOK_NANOS : ACTIVE_LOOK_NANOS);
        }
    }

    /** Touches the pages of {@code s} from {@code from} up to {@code to} (the page holding the writer's end is its own already); returns how far it got. */
    private long touch(BytesStore<?, ?> s, long from, long to) {
        if (from >= to || !s.tryReserve(owner)) return from;
        try {
            long p = from;
            for (; p < to; p += PAGE) {
                // The next chunk is mapped when the writer reaches it, and touched from then on.
                if (closed || !s.inside(p, Long.BYTES)) return Long.MAX_VALUE;
                s.compareAndSwapLong(p, 0L, 0L);
            }
            return p;
        } finally {
            s.release(owner);
        }
    }
}
