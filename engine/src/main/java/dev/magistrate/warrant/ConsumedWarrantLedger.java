package dev.magistrate.warrant;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The record of warrants already used, so that each is used once, also across restarts. An
 * append-only text file, one line per consumed warrant: {@code WARRANT_ID TAB EXPIRES_AT_EPOCH_MILLIS LF},
 * written before {@link #consume} returns and, unless opened without forcing, forced to disk too (concurrent
 * consumers share one force). Written but not forced, a consumption survives a process kill (the page cache
 * holds it) but not a power loss; that matches the audit trail's default durability. On open the file is read back; a torn last line
 * (a crash mid-append, before the consumption was ever reported) is cut off, and entries expired
 * for longer than {@link #RETENTION} are compacted away, since the verifier refuses those as
 * expired anyway. One process owns the file at a time (an OS file lock).
 */
public final class ConsumedWarrantLedger implements AutoCloseable {

    /** How long past expiry an entry is kept; far beyond any clock skew the verifier tolerates. */
    public static final Duration RETENTION = Duration.ofDays(1);

    private final Path file;
    private final Map<String, Long> consumed = new ConcurrentHashMap<>();
    private final ReentrantLock bufferLock = new ReentrantLock();
    // Fair: a consumer that just flushed must not barge ahead of the ones whose lines it can take along next time.
    private final ReentrantLock flushLock = new ReentrantLock(true);
    private final StringBuilder queued = new StringBuilder(); // guarded by bufferLock
    private long queuedSeq; // guarded by bufferLock
    private long durableSeq; // guarded by flushLock
    private IOException failure; // guarded by flushLock
    private final FileChannel channel;
    private final FileLock ownership;
    private final boolean force;

    private ConsumedWarrantLedger(Path file, Clock clock, boolean force) throws IOException {
        this.file = file;
        this.force = force;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean existed = Files.exists(file);
        boolean compact = load(clock.instant());
        if (compact) rewrite();
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (!existed || compact) syncDirectory(dir);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("warrant ledger " + file + " is in use by another governor; one process owns it at a time");
        }
        this.ownership = lock;
    }

    public static ConsumedWarrantLedger open(Path file) {
        return open(file, Clock.systemUTC());
    }

    public static ConsumedWarrantLedger open(Path file, Clock clock) {
        return open(file, clock, true);
    }

    /**
     * @param forceEachConsumption fsync before {@link #consume} returns (survives power loss, costs a disk
     *                             flush); false writes to the page cache only (survives a process kill)
     */
    public static ConsumedWarrantLedger open(Path file, Clock clock, boolean forceEachConsumption) {
        try {
            return new ConsumedWarrantLedger(file, clock, forceEachConsumption);
        } catch (IOException e) {
            throw new UncheckedIOException("warrant ledger " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records the warrant as used. Returns {@code false} when it was used before (a replay). Of many
     * threads consuming the same id at once, exactly one gets {@code true}. Throws
     * {@link UncheckedIOException} when the record cannot be made durable; the warrant must then be refused.
     */
    public boolean consume(String warrantId, Instant expiresAt) {
        if (warrantId.indexOf('\t') >= 0 || warrantId.indexOf('\n') >= 0) throw new IllegalArgumentException("warrant id holds a tab or newline");
        if (consumed.putIfAbsent(warrantId, expiresAt.toEpochMilli()) != null) return false;
        // Group commit: every consumer queues its line; whoever holds the flush lock writes and forces
        // all queued lines at once, so concurrent consumers share one fsync instead of queueing for one each.
        long mySeq;
        bufferLock.lock();
        try {
            queued.append(warrantId).append('\t').append(expiresAt.toEpochMilli()).append('\n');
            mySeq = ++queuedSeq;
        } finally {
            bufferLock.unlock();
        }
        flushLock.lock();
        try {
            if (failure != null) throw notDurable(failure);
            if (durableSeq >= mySeq) return true;
            byte[] batch;
            long through;
            bufferLock.lock();
            try {
                batch = queued.toString().getBytes(StandardCharsets.UTF_8);
                queued.setLength(0);
                through = queuedSeq;
            } finally {
                bufferLock.unlock();
            }
            try {
                ByteBuffer buf = ByteBuffer.wrap(batch);
                while (buf.hasRemaining()) channel.write(buf);
                if (force) channel.force(false);
            } catch (IOException | RuntimeException e) {
                // Lines of this batch may be lost or torn: from now on nothing is reported durable (fail closed until restart).
                failure = e instanceof IOException io ? io : new IOException(e);
                throw notDurable(failure);
            }
            durableSeq = through;
            return true;
        } finally {
            flushLock.unlock();
        }
    }

    private UncheckedIOException notDurable(IOException cause) {
        // The id stays consumed in memory, so no one else gets to use it either.
        return new UncheckedIOException("warrant ledger " + file + ": cannot record consumption: " + cause.getMessage(), cause);
    }

    public boolean isConsumed(String warrantId) {
        return consumed.containsKey(warrantId);
    }

    public int size() {
        return consumed.size();
    }

    public Path path() {
        return file;
    }

    /** Loads the file; returns whether it should be rewritten (a torn tail or expired entries). */
    private boolean load(Instant now) throws IOException {
        if (!Files.exists(file)) return false;
        String text = Files.readString(file, StandardCharsets.UTF_8);
        boolean rewrite = false;
        int end = text.lastIndexOf('\n') + 1;
        if (end < text.length()) rewrite = true; // torn last line: that consumption was never reported as done
        long horizon = now.minus(RETENTION).toEpochMilli();
        int lineNo = 0;
        for (String line : text.substring(0, end).split("\n")) {
            lineNo++;
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            long expires;
            try {
                if (tab <= 0) throw new NumberFormatException();
                expires = Long.parseLong(line.substring(tab + 1));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(file + ":" + lineNo + ": not 'WARRANT_ID<TAB>EXPIRES_AT_MILLIS'; the ledger is damaged");
            }
            if (expires < horizon) {
                rewrite = true;
            } else {
                consumed.put(line.substring(0, tab), expires);
            }
        }
        return rewrite;
    }

    private void rewrite() throws IOException {
        StringBuilder sb = new StringBuilder();
        consumed.forEach((id, exp) -> sb.append(id).append('\t').append(exp).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Makes a new or replaced file's directory entry durable too, where the platform allows it. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open a directory; the data itself is still forced on every append.
        }
    }

    @Override
    public void close() {
        try {
            ownership.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
