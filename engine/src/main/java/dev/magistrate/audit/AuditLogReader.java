package dev.magistrate.audit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Reads the documents of an audit queue in order, read-only: it never takes the writer's lock and
 * never changes a file, so it can run beside a live log (in this JVM or another).
 */
public final class AuditLogReader implements AutoCloseable {

    private final SingleChronicleQueue queue;
    private final ExcerptTailer tailer;
    private static final int NOT_COMPLETE = 0x8000_0000;
    private long lastEnd;
    private File lastFile;

    private AuditLogReader(SingleChronicleQueue queue) {
        this.queue = queue;
        this.tailer = queue == null ? null : queue.createTailer();
    }

    /** Opens the queue in {@code dir}; a directory without a queue reads as an empty log. */
    public static AuditLogReader open(Path dir) {
        ChronicleQueues.ensureConfigured();
        if (!hasQueue(dir)) return new AuditLogReader(null);
        return new AuditLogReader(ChronicleQueues.open(dir, true, Clock.systemUTC(), null));
    }

    static boolean hasQueue(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".cq4"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list audit directory " + dir, e);
        }
    }

    /** The next record, or null at the current end of the log. */
    public LogRecord next() {
        if (tailer == null) return null;
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) return null;
            Bytes<?> b = dc.wire().bytes();
            byte[] doc = new byte[(int) b.readRemaining()];
            b.read(doc);
            lastEnd = b.readLimit();
            lastFile = tailer.currentFile();
            return LogRecord.decode(dc.index(), doc);
        }
    }

    /**
     * The next entry, skipping checkpoints, or null at the current end of the log.
     *
     * @throws IllegalStateException when a record cannot be read (run the verifier to learn why)
     */
    public CanonicalEntry.Decoded nextEntry() {
        return nextEntry(type -> true);
    }

    /**
     * As {@link #nextEntry()}, skipping undecoded the entries whose type {@code wanted} refuses: decoding is most of what
     * reading costs, and a reader that needs a few types (the engine's pass at start) has no use for the rest. An entry
     * whose type cannot be read without decoding it is decoded, so that it is refused as {@link #nextEntry()} refuses it.
     */
    public CanonicalEntry.Decoded nextEntry(Predicate<AuditEventType> wanted) {
        LogRecord rec;
        while ((rec = next()) != null) {
            if (rec instanceof LogRecord.Entry e) {
                AuditEventType type = CanonicalEntry.peekType(e.bytes());
                if (type != null && !wanted.test(type)) continue;
                try {
                    return CanonicalEntry.decode(e.bytes());
                } catch (IllegalArgumentException bad) {
                    throw new IllegalStateException("unreadable audit entry" + indexOf(e.bytes()) + ": " + bad.getMessage() + "; run verify");
                }
            }
            if (rec instanceof LogRecord.Unreadable u) throw new IllegalStateException("unreadable audit record: " + u.reason() + "; run verify");
            // A LogRecord.Torn (a write cut short, e.g. by a full disk) holds no entry; the verifier reports it.
        }
        return null;
    }

    /** " 17" when the damaged entry still says where it stands, "" otherwise. */
    private static String indexOf(byte[] entry) {
        try {
            return " " + CanonicalEntry.position(entry).index();
        } catch (IllegalArgumentException noPrefix) {
            return "";
        }
    }

    /** Positions the reader so that {@link #next} returns the record at this queue index. */
    public boolean moveTo(long queueIndex) {
        return tailer != null && tailer.moveToIndex(queueIndex);
    }

    /**
     * Whether a crash left a half-written document after the last complete one: Chronicle publishes a
     * document by completing its header last, so a writer killed mid-write leaves either a header
     * marked not-complete or a zero header followed by the start of our record. Call at the end.
     */
    boolean endsWithIncompleteRecord() {
        if (tailer == null || lastFile == null) return false;
        long headerAt = (lastEnd + 3) & ~3L;
        try (FileChannel ch = FileChannel.open(lastFile.toPath(), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, headerAt + b.position()) > 0) {
                // keep reading
            }
            if (b.position() < 5) return false;
            int header = b.getInt(0);
            byte kind = b.get(4);
            if (header == 0) return kind == LogRecord.ENTRY || kind == LogRecord.CHECKPOINT;
            return (header & NOT_COMPLETE) != 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + lastFile, e);
        }
    }

    public void toStart() {
        if (tailer != null) tailer.toStart();
    }

    @Override
    public void close() {
        if (tailer != null) tailer.close();
        if (queue != null) queue.close();
    }
}
