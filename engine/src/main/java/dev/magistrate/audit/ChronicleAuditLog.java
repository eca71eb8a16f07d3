package dev.magistrate.audit;

import dev.magistrate.log.MagistrateLog;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tamper-evident audit log on a Chronicle Queue: each entry is written, hashed into the Merkle
 * tree and linked to the entry before it under one lock, so that many threads produce one sequence;
 * signed checkpoints are written into the queue and to the {@code checkpoint} file at the configured
 * interval and on close. One process owns a directory at a time (a lock file enforces it). On open
 * the whole log is verified; a tampered log is refused (fail closed).
 */
public final class ChronicleAuditLog implements AuditSink {

    static {
        // Before any Chronicle class initialises: Chronicle would otherwise try to reach an analytics host.
        System.setProperty("chronicle.analytics.disable", "true");
    }

    /** The file in the queue directory whose OS lock marks the directory as owned by one process. */
    public static final String LOCK_FILE = "magistrate-audit.lock";

    /** The system property that sets {@link #LOW_SPACE_WARNING_BYTES}. */
    public static final String LOW_SPACE_PROPERTY = "magistrate.audit.lowSpaceWarningBytes";

    /** Free bytes under the audit directory below which a warning is logged (default 1 GiB, about 380,000 T0 calls of 2.8 KB). */
    public static final long LOW_SPACE_WARNING_BYTES = Long.getLong(LOW_SPACE_PROPERTY, 1L << 30);

    /** After a failed write, how often a recovery is tried (on the next append, or by the checkpoint timer). */
    static final long RECOVERY_INTERVAL_MS = 1_000;

    /** Free bytes needed before a recovery is tried after a failed write. */
    static final long RESUME_FREE_BYTES = 1L << 20;

    private final AuditLogOptions options;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    // Replaced (guarded by lock) when the writer recovers from a failed write.
    private SingleChronicleQueue queue;
    private ExcerptAppender appender;
    private final ReentrantLock lock = new ReentrantLock();
    /** Entries waiting for the thread that holds the lock to write them (see {@link #appendThroughHolder}). */
    private final ConcurrentLinkedQueue<Waiter> waiting = new ConcurrentLinkedQueue<>();
    /** How long a waiting entry's thread spins before it queues for the lock: a few appends' time under the lock. */
    private static final long WAIT_SPIN_NANOS = 5_000;
    /** At most this many entries of other threads are written by a holder before it lets go. */
    private static final int MAX_WRITTEN_FOR_OTHERS = 32;

    /** One thread's entry waiting in {@link #waiting}; a thread has one at a time, so each thread reuses its own. */
    private static final class Waiter {
        CanonicalEntry.Buffer body;
        long index;
        Throwable error;
        volatile boolean done; // after index or error
    }

    private static final ThreadLocal<Waiter> WAITER = ThreadLocal.withInitial(Waiter::new);
    /** Entries a holder wrote for another thread (guarded by lock). */
    private long writtenForOthers;
    private final MessageDigest sha256 = MerkleTree.sha256();
    /**
     * Records go into the queue from here, off the heap (guarded by lock): Chronicle copies a native source into the mapped
     * file with one memory copy, and a heap array eight bytes at a time (a 545-byte append took 130-180 ns at the median
     * this way against 280-420 ns straight from the array).
     */
    private final Bytes<Void> staging;
    /** Each appending thread encodes its entry's body here, outside the lock; reused, so an append allocates no bytes for it. */
    private static final ThreadLocal<CanonicalEntry.Buffer> BODY = ThreadLocal.withInitial(CanonicalEntry.Buffer::new);
    /** The record being written (guarded by lock). */
    private final CanonicalEntry.Buffer record = new CanonicalEntry.Buffer();
    private final ScheduledExecutorService checkpointTimer;
    /** Takes the mapped file's page faults ahead of the writer. */
    private final AuditPretoucher pretoucher;
    /** The file system of the directory, found on first use; a race finds it twice. */
    private volatile FileStore fileStore;

    // Guarded by lock.
    private MerkleTree tree;
    /** The leaf hash of the last entry, overwritten in place by each append. */
    private final byte[] lastLeaf = new byte[32];
    private long signedSize;
    private long lastCheckpointNanos = System.nanoTime();
    private int lastCycle = Integer.MIN_VALUE;
    private FileChannel syncChannel;
    private File syncFile;
    private RuntimeException failure;
    /** Set when a write failed (a full disk): appends are refused until {@link #recover} succeeds. */
    private Throwable writeFailure;
    private long lastRecoveryNanos;
    private long lastSpaceCheckNanos;
    private boolean lowSpaceWarned;
    private boolean closed;
    /**
     * The newest signed note that the checkpoint file does not hold yet. In the {@code mapped} durability the timer thread
     * writes the file behind the appender: replacing a file by rename can take milliseconds (ext4 writes the new file out
     * first), and the record in the queue is what attests the checkpoint. Handing a note over never waits for a write.
     */
    private final AtomicReference<String> unwrittenNote = new AtomicReference<>();
    /** Held while the checkpoint file is written, so that writes happen one at a time, newest note last. */
    private final Object checkpointFileWriter = new Object();
    /** Told each new signed checkpoint note (the fleet witness's shipper); must return at once. */
    private volatile java.util.function.Consumer<String> checkpointListener;

    private ChronicleAuditLog(AuditLogOptions options, FileChannel lockChannel, FileLock fileLock,
                              AuditLogVerifier.Scan scan) {
        this.options = options;
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.tree = scan.tree;
        System.arraycopy(scan.lastLeaf, 0, lastLeaf, 0, 32);
        this.signedSize = scan.signedSize;
        openQueue();
        staging = Bytes.allocateElasticDirect(64 << 10); // grows for a rare large entry
        staging.singleThreadedCheckDisabled(true); // used by whichever thread holds the lock
        pretoucher = AuditPretoucher.start(options.directory(), this::freeBytes);
        if (options.checkpointEveryMillis() > 0) {
            checkpointTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "magistrate-audit-checkpoint");
                t.setDaemon(true);
                return t;
            });
            long period = options.checkpointEveryMillis();
            checkpointTimer.scheduleWithFixedDelay(this::checkpointIfDue, period, period, TimeUnit.MILLISECONDS);
        } else {
            checkpointTimer = null;
        }
    }

    /**
     * Opens (or creates) the log in {@code options.directory()}.
     *
     * @throws IllegalStateException when another process (or another log in this JVM) has the directory
     *                               open, or when the existing log does not verify
     */
    public static ChronicleAuditLog open(AuditLogOptions options) {
        Path dir = options.directory();
        FileChannel channel = null;
        FileLock fileLock = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                fileLock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                fileLock = null;
            }
            if (fileLock == null) {
                throw new IllegalStateException("audit directory " + dir + " is already in use by another process or log ("
                        + LOCK_FILE + " is locked); only one writer may own an audit directory");
            }
            RetentionPolicy.prune(dir, options.retainCycles(), null);
            AuditLogVerifier.Scan scan = new AuditLogVerifier(options.keys().verifier()).scan(dir, null);
            if (scan.result.tampered()) {
                throw new IllegalStateException("refusing to append to audit log " + dir + ": " + scan.result.summary());
            }
            ChronicleAuditLog log = new ChronicleAuditLog(options, channel, fileLock, scan);
            try {
                if (scan.damageAt >= 0) {
                    log.lock.lock();
                    try {
                        log.recordRecovery(scan, scan.damageAt, "found on open");
                    } finally {
                        log.lock.unlock();
                    }
                }
                if (log.signedSize < log.tree.size() || log.tree.size() == 0) log.checkpoint();
            } catch (RuntimeException e) {
                log.failure = new IllegalStateException("audit log could not sign its first checkpoint", e);
                log.close();
                throw e;
            }
            return log;
        } catch (IOException e) {
            release(channel, fileLock);
            throw new UncheckedIOException("cannot open audit directory " + dir, e);
        } catch (RuntimeException e) {
            release(channel, fileLock);
            throw e;
        }
    }

    @Override
    public long append(AuditEvent event) {
        CanonicalEntry.Buffer body = BODY.get();
        body.body(event);
        if (body.length() > AuditLimits.MAX_ENTRY_BYTES - 128) { // 128: room for {"index":I,"prev":"<64 hex>",
            // Refused before it reaches the queue: this entry only; the log stays usable.
            throw new IllegalArgumentException("audit entry too large: " + event.type() + " for intent " + AuditLimits.bounded(event.intentId())
                    + " encodes to " + body.length() + " bytes, the log accepts at most " + AuditLimits.MAX_ENTRY_BYTES);
        }
        if (lock.tryLock()) {
            try {
                return writeEntry(body);
            } finally {
                writeWaiting();
                lock.unlock();
            }
        }
        return appendThroughHolder(body);
    }

    /**
     * The lock is taken: the entry waits in {@link #waiting} for the thread that holds the lock, which writes it before it
     * lets go (flat combining). The log's state (record buffer, Chronicle's appender, the tree) then stays in the cache of
     * one CPU, where handing the lock from thread to thread moved it every time (two appending threads wrote 0.5-0.65x the
     * entries of one), and a waiter that is still spinning needs no wake-up (4 us at the median, 40 us at p99 in this
     * product's VMs).
     * A waiter spins, taking the lock itself whenever it is free and writing what waits, its own entry included, so nothing
     * waits for a holder that has gone; after {@link #WAIT_SPIN_NANOS} it queues for the lock like any other thread.
     */
    private long appendThroughHolder(CanonicalEntry.Buffer body) {
        Waiter w = WAITER.get();
        w.body = body;
        w.error = null;
        w.done = false;
        waiting.add(w);
        long spinUntil = System.nanoTime() + WAIT_SPIN_NANOS;
        while (!w.done) {
            boolean held = !lock.isLocked() && lock.tryLock();
            if (!held) {
                if (System.nanoTime() - spinUntil < 0) {
                    Thread.onSpinWait();
                    continue;
                }
                lock.lock(); // many threads on few CPUs: spinning would take the holder's CPU; the holder wakes it
            }
            try {
                writeWaiting();
            } finally {
                lock.unlock();
            }
        }
        w.body = null;
        if (w.error instanceof Error e) throw e;
        if (w.error != null) throw new IllegalStateException(w.error.getMessage(), w.error); // thrown here, with this caller's stack
        return w.index;
    }

    /** Writes entries that wait, in the order they came, a bounded number so that the holder's own caller is not held up for long. Under lock. */
    private void writeWaiting() {
        for (int i = 0; i < MAX_WRITTEN_FOR_OTHERS; i++) {
            Waiter w = waiting.poll();
            if (w == null) return;
            try {
                w.index = writeEntry(w.body);
                writtenForOthers++;
            } catch (RuntimeException | Error e) {
                w.error = e; // whatever happens, the waiter is answered: it is out of the queue and would wait for ever
            }
            w.done = true;
        }
    }

    /** Writes one entry whose body is encoded; returns its index. Under lock. */
    private long writeEntry(CanonicalEntry.Buffer body) {
        checkUsable();
        long index = tree.size();
        try {
            // A new daily cycle starts with a checkpoint, so that older cycles can be pruned.
            if (index > 0 && queue.cycle() != lastCycle) {
                writeCheckpoint(false);
                if (options.retainCycles() > 0) RetentionPolicy.prune(options.directory(), options.retainCycles(), queue);
            }
            record.record(LogRecord.ENTRY, index, lastLeaf, body);
            write(record.bytes(), record.length());
            // The record already holds the previous leaf (as hex), so its array is free for this entry's. The leaf hash
            // is SHA-256(0x00 || entry): the kind byte, written already, becomes the 0x00, and the bytes go in one update.
            record.bytes()[0] = 0;
            MerkleTree.hashInto(sha256, record.bytes(), record.length(), lastLeaf);
            tree.append(lastLeaf);
            if (options.durability() == Durability.SYNC_EACH_APPEND) sync();
            if (options.checkpointEveryEntries() > 0 && tree.size() - signedSize >= options.checkpointEveryEntries()) {
                writeCheckpoint(false);
            }
        } catch (RuntimeException | InternalError e) {
            // A write into the mapped file that the file system cannot back (a full disk) surfaces as an
            // InternalError (SIGBUS) or an IOException; the record may be torn. Refuse appends until a
            // rescan finds where the intact log ends and space is back (recover); never latch for good.
            writeFailure = e;
            lastRecoveryNanos = System.nanoTime();
            throw new IllegalStateException("audit log could not write entry " + index + " (" + freeSpaceText()
                    + "); calls are denied until it can write again: " + e, e);
        }
        if (checkpointTimer == null) warnIfLowOnSpace(); // otherwise the timer looks, and the append reads no clock for it
        return index;
    }

    /** Signs and writes a checkpoint of the current tree now, into the queue and the checkpoint file. Returns the signed note. */
    public String checkpoint() {
        lock.lock();
        try {
            checkUsable();
            return writeCheckpoint(true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Tells {@code listener} each checkpoint signed from now on (its signed note), on the thread that signs it and under
     * the log's lock: it must only hand the note on (the witness's shipper queues it for its own thread).
     */
    public void onCheckpoint(java.util.function.Consumer<String> listener) {
        checkpointListener = listener;
    }

    /** Entries in the log, which is also the index the next entry gets. */
    public long size() {
        lock.lock();
        try {
            return tree.size();
        } finally {
            lock.unlock();
        }
    }

    /** Entries written by the thread that held the lock for another appending thread; for tests and diagnostics. */
    long entriesWrittenForOthers() {
        lock.lock();
        try {
            return writtenForOthers;
        } finally {
            lock.unlock();
        }
    }

    /** Entries waiting for the lock's holder to write them now. */
    int entriesWaiting() {
        return waiting.size();
    }

    /** The directory of the queue. */
    public Path directory() {
        return options.directory();
    }

    private void checkpointIfDue() {
        lock.lock();
        try {
            if (closed || failure != null) return;
            warnIfLowOnSpace();
            if (signedSize == tree.size()) return;
            if (writeFailure != null) {
                recover();
                return;
            }
            if (System.nanoTime() - lastCheckpointNanos < TimeUnit.MILLISECONDS.toNanos(options.checkpointEveryMillis())) return;
            writeCheckpoint(false);
        } catch (RuntimeException | InternalError e) {
            writeFailure = e;
            lastRecoveryNanos = System.nanoTime();
            MagistrateLog.error(ChronicleAuditLog.class, "audit log could not write a checkpoint (" + freeSpaceText()
                    + "); appends are refused until it can write again", e);
        } finally {
            lock.unlock();
        }
    }

    /** The checkpoint file as well, before returning; otherwise it may be left to the timer thread. */
    private String writeCheckpoint(boolean fileNow) {
        Checkpoint cp = new Checkpoint(options.origin(), tree.size(), tree.root());
        String note = options.keys().signer().sign(cp);
        write(LogRecord.encodeCheckpoint(note, lastLeaf, tree.frontier()));
        if (options.durability() != Durability.MAPPED) sync();
        unwrittenNote.set(note);
        if (fileNow || options.durability() != Durability.MAPPED || checkpointTimer == null) {
            writeCheckpointFile();
        } else {
            try {
                checkpointTimer.execute(this::writeCheckpointFileBehind);
            } catch (RejectedExecutionException closing) {
                writeCheckpointFile();
            }
        }
        signedSize = tree.size();
        lastCheckpointNanos = System.nanoTime();
        java.util.function.Consumer<String> listener = checkpointListener;
        if (listener != null) {
            try {
                listener.accept(note);
            } catch (RuntimeException e) {
                MagistrateLog.warn(ChronicleAuditLog.class, "a checkpoint listener failed (the checkpoint is written)", e);
            }
        }
        return note;
    }

    private void write(byte[] record) {
        write(record, record.length);
    }

    /** Writes the first {@code length} bytes of {@code bytes} into the queue as one record. */
    private void write(byte[] bytes, int length) {
        staging.clear();
        staging.write(bytes, 0, length);
        appender.writeBytes(staging);
        pretoucher.wrote(appender.wire().bytes());
        lastCycle = appender.queue().rollCycle().toCycle(appender.lastIndexAppended());
    }

    /** Forces the current cycle file (data and Chronicle's index pages) to stable storage. */
    private void sync() {
        try {
            File current = appender.currentFile();
            if (current == null) return;
            if (!current.equals(syncFile)) {
                if (syncChannel != null) syncChannel.close();
                syncChannel = FileChannel.open(current.toPath(), StandardOpenOption.WRITE);
                syncFile = current;
            }
            syncChannel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot force the audit cycle file to disk", e);
        }
    }

    /** On the timer thread: a failure is a failed write, as it would have been on the appending thread (recover rewrites it). */
    private void writeCheckpointFileBehind() {
        try {
            writeCheckpointFile();
        } catch (RuntimeException e) {
            lock.lock();
            try {
                if (closed) return;
                if (writeFailure == null) {
                    writeFailure = e;
                    lastRecoveryNanos = System.nanoTime();
                }
            } finally {
                lock.unlock();
            }
            MagistrateLog.error(ChronicleAuditLog.class, "audit log could not write its checkpoint file (" + freeSpaceText()
                    + "); appends are refused until it can write again", e);
        }
    }

    /** Writes the newest unwritten note into the checkpoint file, if there is one; notes are written in the order signed. */
    private void writeCheckpointFile() {
        synchronized (checkpointFileWriter) {
            String note = unwrittenNote.getAndSet(null);
            if (note == null) return;
            try {
                writeCheckpointFile(note);
            } catch (RuntimeException e) {
                unwrittenNote.compareAndSet(null, note); // unless a newer note is already waiting
                throw e;
            }
        }
    }

    private void writeCheckpointFile(String note) {
        Path dir = options.directory();
        Path tmp = dir.resolve(AuditLogVerifier.CHECKPOINT_FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(note.getBytes(StandardCharsets.UTF_8)));
            if (options.durability() != Durability.MAPPED) ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tmp, e);
        }
        try {
            Files.move(tmp, dir.resolve(AuditLogVerifier.CHECKPOINT_FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IllegalStateException("the file system of " + dir + " cannot rename atomically", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + dir.resolve(AuditLogVerifier.CHECKPOINT_FILE), e);
        }
        if (options.durability() != Durability.MAPPED) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // Some file systems cannot fsync a directory; the rename is still atomic.
            }
        }
    }

    private void checkUsable() {
        if (closed) throw new IllegalStateException("audit log is closed");
        if (failure != null) throw failure;
        if (writeFailure != null && !recover()) {
            throw new IllegalStateException("audit log cannot write (" + freeSpaceText() + "); calls are denied until it can: "
                    + writeFailure, writeFailure);
        }
    }

    private void openQueue() {
        SingleChronicleQueue q = ChronicleQueues.open(options.directory(), false, options.clock(), null);
        try {
            ExcerptAppender a = q.createAppender();
            // Every use of the appender is under our lock, from whichever thread appends.
            a.singleThreadedCheckDisabled(true);
            queue = q;
            appender = a;
            lastCycle = q.lastCycle();
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    private void closeQueue() {
        try {
            if (syncChannel != null) syncChannel.close();
        } catch (IOException | RuntimeException ignored) {
            // A read-only view of the cycle file; nothing is lost.
        }
        syncChannel = null;
        syncFile = null;
        try {
            if (appender != null) appender.close();
        } catch (RuntimeException | InternalError ignored) {
            // The appender of a failed write; the queue is reopened from the files.
        }
        try {
            if (queue != null) queue.close();
        } catch (RuntimeException | InternalError ignored) {
            // As above.
        }
        appender = null;
        queue = null;
    }

    /**
     * After a failed write: at most once per {@link #RECOVERY_INTERVAL_MS}, and only when at least
     * {@link #RESUME_FREE_BYTES} are free, closes the queue, rescans the log from its files (the tree,
     * the chain and the signed size are rebuilt from them, so whether the failed record was published
     * does not matter), reopens it, records any torn records as a {@code LOG_RECOVERED} entry and signs
     * a checkpoint. Returns whether the log can write again. Runs under the lock.
     */
    private boolean recover() {
        long now = System.nanoTime();
        if (now - lastRecoveryNanos < TimeUnit.MILLISECONDS.toNanos(RECOVERY_INTERVAL_MS)) return false;
        lastRecoveryNanos = now;
        if (freeBytes() < RESUME_FREE_BYTES) return false;
        try {
            closeQueue();
            AuditLogVerifier.Scan scan = new AuditLogVerifier(options.keys().verifier()).scan(options.directory(), null);
            if (scan.result.tampered()) {
                failure = new IllegalStateException("audit log " + options.directory() + " does not verify after a failed write: "
                        + scan.result.summary());
                return false;
            }
            tree = scan.tree;
            System.arraycopy(scan.lastLeaf, 0, lastLeaf, 0, 32);
            signedSize = scan.signedSize;
            openQueue();
            Throwable cause = writeFailure;
            writeFailure = null;
            // The failed write is audited whether it left a torn record (skipped) or an unfinished one (overwritten).
            recordRecovery(scan, tree.size(), "after " + cause);
            writeCheckpoint(false);
            MagistrateLog.warn(ChronicleAuditLog.class, "audit log writes again after a failed write (" + freeSpaceText() + "): "
                    + (scan.damageAt >= 0 ? scan.damagedRecords + " torn record(s) skipped and recorded" : "no record was torn"), null);
            return true;
        } catch (RuntimeException | InternalError e) {
            if (writeFailure == null) writeFailure = e;
            return false;
        }
    }

    /**
     * Appends the entry that records a failed write and the torn records a scan found (the verifier
     * accepts torn records only when this entry follows them).
     */
    private void recordRecovery(AuditLogVerifier.Scan scan, long failedIndex, String when) {
        boolean torn = scan.damageAt >= 0;
        AuditPayload.LogRecovered p = new AuditPayload.LogRecovered("the write of entry " + failedIndex + " failed (typically a full disk); "
                + (torn ? "skipped the torn record(s)" : "no torn record was left") + ", " + when,
                torn ? scan.damagedRecords : 0, torn ? scan.damagedBytes : 0);
        byte[] entry = CanonicalEntry.withPosition(tree.size(), lastLeaf,
                CanonicalEntry.encodeBody(AuditEvent.of(AuditPayload.LogRecovered.LOG_INTENT_ID, options.clock().instant(), p)));
        write(LogRecord.encodeEntry(entry));
        MerkleTree.leafHash(sha256, entry, 0, entry.length, lastLeaf);
        tree.append(lastLeaf);
    }

    /** Free bytes under the directory, or -1 when unknown; read by appenders, the timer and the pretouch thread. */
    private long freeBytes() {
        try {
            FileStore store = fileStore;
            if (store == null) fileStore = store = Files.getFileStore(options.directory()); // reads the mount table: once
            return store.getUsableSpace(); // asks the file system each time (statvfs), so a grown disk is seen
        } catch (IOException e) {
            return -1;
        }
    }

    private String freeSpaceText() {
        long free = freeBytes();
        return free < 0 ? "free space unknown" : free + " bytes free under " + options.directory();
    }

    /**
     * Warns once when free space under the directory falls below {@link #LOW_SPACE_WARNING_BYTES}; looks at most every 10 s,
     * from the checkpoint timer (or after an append when there is no timer).
     */
    private void warnIfLowOnSpace() {
        long now = System.nanoTime();
        if (lastSpaceCheckNanos != 0 && now - lastSpaceCheckNanos < TimeUnit.SECONDS.toNanos(10)) return;
        lastSpaceCheckNanos = now;
        long free = freeBytes();
        if (free < 0) return;
        if (free < LOW_SPACE_WARNING_BYTES) {
            if (!lowSpaceWarned) {
                lowSpaceWarned = true;
                MagistrateLog.warn(ChronicleAuditLog.class, "audit directory " + options.directory() + " has only " + free
                        + " bytes free (warning below " + LOW_SPACE_WARNING_BYTES + ", property " + LOW_SPACE_PROPERTY
                        + "); when it is full every governed call is denied", null);
            }
        } else {
            lowSpaceWarned = false;
        }
    }

    /** Signs a final checkpoint (when entries are unsigned), then releases the queue and the directory lock. */
    @Override
    public void close() {
        // Not shutdownNow: interrupting a checkpoint file write would close its channel; the periodic task is cancelled.
        if (checkpointTimer != null) checkpointTimer.shutdown();
        pretoucher.close();
        lock.lock();
        try {
            if (closed) return;
            try {
                while (!waiting.isEmpty()) writeWaiting(); // entries already on their way are written, not refused
                if (failure == null && writeFailure == null) {
                    if (signedSize < tree.size()) writeCheckpoint(true);
                    else writeCheckpointFile();
                }
            } finally {
                closed = true;
                // Waits for a file write under way; a note left unwritten (after a failure) must not land once the directory is released.
                synchronized (checkpointFileWriter) {
                    unwrittenNote.set(null);
                }
                closeQueue();
                staging.releaseLast();
                release(lockChannel, fileLock);
            }
        } finally {
            lock.unlock();
        }
    }

    private static void release(FileChannel channel, FileLock fileLock) {
        try {
            if (fileLock != null && fileLock.isValid()) fileLock.release();
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // The OS drops the lock when the channel or the process goes away.
        }
    }

    @Override
    public String toString() {
        return "ChronicleAuditLog[" + options.directory() + "]";
    }
}
