package dev.magistrate.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One document of the audit queue. The first byte says what it is: {@code 'E'} an entry (followed
 * by its canonical bytes; a Merkle leaf) or {@code 'C'} a checkpoint (not a leaf: the signed note,
 * then the unsigned resume state: the leaf hash of the last entry and the tree's frontier, which a
 * verifier checks against the signed root before trusting it).
 */
public sealed interface LogRecord {

    byte ENTRY = 'E';
    byte CHECKPOINT = 'C';

    /** Chronicle's index of the document (cycle and sequence), for positioning readers. */
    long queueIndex();

    record Entry(long queueIndex, byte[] bytes) implements LogRecord {
    }

    record CheckpointRecord(long queueIndex, String note, byte[] lastLeafHash, List<byte[]> frontier) implements LogRecord {
    }

    /** A document that is neither: damaged, or written by something else. */
    record Unreadable(long queueIndex, String reason) implements LogRecord {
    }

    /**
     * A document whose write was cut short, typically because the disk filled up: Chronicle published
     * its header, but the pages the file system could not back read as zeros, so it ends in a zero byte.
     * A complete record never does (an entry ends with {@code '}'}; a checkpoint that happens to end in
     * zero parses and is returned as such). The verifier reports it as damage at the tail, not as
     * tampering, when nothing but the writer's recovery entry follows it.
     */
    record Torn(long queueIndex, int length) implements LogRecord {
    }

    static byte[] encodeEntry(byte[] canonical) {
        byte[] out = new byte[canonical.length + 1];
        out[0] = ENTRY;
        System.arraycopy(canonical, 0, out, 1, canonical.length);
        return out;
    }

    static byte[] encodeCheckpoint(String note, byte[] lastLeafHash, List<byte[]> frontier) {
        byte[] text = note.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + text.length + 32 + 1 + 32 * frontier.size());
        b.put(CHECKPOINT).putInt(text.length).put(text).put(lastLeafHash).put((byte) frontier.size());
        for (byte[] h : frontier) b.put(h);
        return b.array();
    }

    static LogRecord decode(long queueIndex, byte[] doc) {
        if (doc.length == 0) return new Unreadable(queueIndex, "empty document");
        boolean endsInZero = doc[doc.length - 1] == 0;
        if (endsInZero && doc[0] != CHECKPOINT) return new Torn(queueIndex, doc.length);
        if (doc[0] == ENTRY) {
            byte[] bytes = new byte[doc.length - 1];
            System.arraycopy(doc, 1, bytes, 0, bytes.length);
            return new Entry(queueIndex, bytes);
        }
        if (doc[0] == CHECKPOINT) {
            try {
                ByteBuffer b = ByteBuffer.wrap(doc, 1, doc.length - 1);
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) return damaged(queueIndex, doc, "checkpoint record has a bad length");
                byte[] text = new byte[len];
                b.get(text);
                byte[] last = new byte[32];
                b.get(last);
                int n = b.get() & 0xff;
                if (n > 64 || b.remaining() != 32 * n) return damaged(queueIndex, doc, "checkpoint record has a bad frontier");
                List<byte[]> frontier = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    byte[] h = new byte[32];
                    b.get(h);
                    frontier.add(h);
                }
                return new CheckpointRecord(queueIndex, new String(text, StandardCharsets.UTF_8), last, frontier);
            } catch (RuntimeException e) {
                return damaged(queueIndex, doc, "checkpoint record is truncated");
            }
        }
        return new Unreadable(queueIndex, "unknown record kind " + (doc[0] & 0xff));
    }

    /** A checkpoint that does not parse: torn when it ends in zeros, otherwise unreadable. */
    private static LogRecord damaged(long queueIndex, byte[] doc, String reason) {
        return doc[doc.length - 1] == 0 ? new Torn(queueIndex, doc.length) : new Unreadable(queueIndex, reason);
    }
}
