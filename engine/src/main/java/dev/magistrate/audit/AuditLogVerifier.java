package dev.magistrate.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Checks an audit directory with nothing but the log's public key, and reports the first bad entry.
 * Each entry carries its own index and the leaf hash of the entry before it, so a changed, removed or
 * moved entry breaks a link at a known index; signed checkpoints (in the queue, in the
 * {@code checkpoint} file, and optionally one kept elsewhere) pin the Merkle root so that a consistent
 * rewrite without the key, a truncation or a rollback is caught too. What it cannot detect is listed
 * in docs/audit-trail.md.
 */
public final class AuditLogVerifier {

    /** The file beside the queue that holds the latest signed checkpoint note. */
    public static final String CHECKPOINT_FILE = "checkpoint";

    private final CheckpointVerifier key;

    public AuditLogVerifier(CheckpointVerifier key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    public VerificationResult verify(Path dir) {
        return scan(dir, null).result;
    }

    /**
     * Verifies the directory and also that it is consistent with a checkpoint kept elsewhere (a copy
     * taken earlier, off this machine): a log rolled back or rewritten behind it is reported.
     *
     * @throws IllegalArgumentException when the external checkpoint itself is not validly signed by the key
     */
    public VerificationResult verify(Path dir, String externalCheckpointNote) {
        Checkpoint external;
        try {
            external = key.verify(externalCheckpointNote);
        } catch (InvalidCheckpointException e) {
            throw new IllegalArgumentException("the external checkpoint is not valid: " + e.getMessage(), e);
        }
        return scan(dir, external).result;
    }

    /** Everything a scan learnt: the verdict, and the state an appender resumes from. */
    static final class Scan {
        VerificationResult result;
        MerkleTree tree = new MerkleTree();
        byte[] lastLeaf = CanonicalEntry.NO_PREVIOUS;
        long firstIndex;
        long signedSize;
        Checkpoint lastCheckpoint;
        /**
         * The sizes whose roots {@link #checkAgainst} compares (the checkpoint file's, one kept elsewhere), and each root as
         * the scan passes it. Only these are kept, not the leaves: memory does not grow with the log (32 bytes an entry did,
         * and refused a log of more than 33 million entries).
         */
        final long[] rootSizes;
        final byte[][] roots;
        /** Torn records (a write cut short) at the tail, not followed by the writer's recovery entry: where, how many, how large. */
        long damageAt = -1;
        long damagedRecords;
        long damagedBytes;

        Scan(long... rootSizes) {
            this.rootSizes = rootSizes;
            this.roots = new byte[rootSizes.length][];
            keepRoots();
        }

        long entries() {
            return tree.size();
        }

        /** Keeps the tree's root if its size is one of {@link #rootSizes}: after every entry, and where the tree starts. */
        void keepRoots() {
            for (int i = 0; i < rootSizes.length; i++) {
                if (rootSizes[i] == tree.size()) roots[i] = tree.root();
            }
        }

        /** Root of the first {@code size} entries (firstIndex <= size <= entries), for a size given when the scan began. */
        byte[] rootAt(long size) {
            for (int i = 0; i < rootSizes.length; i++) {
                if (rootSizes[i] == size && roots[i] != null) return roots[i];
            }
            throw new IllegalStateException("no root was kept for " + size + " entries");
        }
    }

    /** Thrown inside the scan to stop at the first problem. */
    private static final class Found extends RuntimeException {
        final VerificationResult.Status status;
        final long index;

        Found(VerificationResult.Status status, long index, String reason) {
            super(reason, null, false, false);
            this.status = status;
            this.index = index;
        }
    }

    Scan scan(Path dir, Checkpoint external) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("no audit directory at " + dir);
        // Read the file before the queue: a live writer puts a checkpoint into the queue before the
        // file, so the queue read afterwards always holds at least what the file was signed for.
        Path file = dir.resolve(CHECKPOINT_FILE);
        String fileNote = null;
        IOException fileError = null;
        if (Files.exists(file)) {
            try {
                fileNote = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                fileError = e;
            }
        }
        Scan s = new Scan(sizeLine(fileNote), external == null ? -1 : external.size());
        try {
            boolean incompleteTail = scanQueue(dir, s);
            if (fileNote != null || fileError != null) {
                Checkpoint cp;
                try {
                    if (fileError != null) throw fileError;
                    cp = key.verify(fileNote);
                } catch (InvalidCheckpointException | IOException e) {
                    throw new Found(VerificationResult.Status.TAMPERED, s.signedSize, "checkpoint file signature bad: " + e.getMessage());
                }
                checkAgainst(s, cp, "the checkpoint file");
            }
            if (external != null) checkAgainst(s, external, "the checkpoint kept elsewhere");
            if (s.damageAt >= 0) {
                throw new Found(VerificationResult.Status.DAMAGED_TAIL, s.damageAt, "the write of entry " + s.damageAt + " was cut short ("
                        + s.damagedRecords + " torn record" + (s.damagedRecords == 1 ? "" : "s") + ", " + s.damagedBytes
                        + " bytes; typically the disk filled up); entries before it are intact and no checkpoint covers it");
            }
            if (incompleteTail) {
                throw new Found(VerificationResult.Status.INCOMPLETE_TAIL, s.entries(),
                        "the last record was left half-written by a crash or a failed write such as a full disk (or is being written);"
                                + " entries before it are intact");
            }
            if (s.signedSize < s.entries()) {
                throw new Found(VerificationResult.Status.UNSIGNED_TAIL, s.signedSize,
                        "entries " + s.signedSize + ".." + (s.entries() - 1) + " are after the last signed checkpoint");
            }
            s.result = new VerificationResult(VerificationResult.Status.OK, s.entries(), s.firstIndex, -1, null, s.lastCheckpoint);
        } catch (Found f) {
            s.result = new VerificationResult(f.status, s.entries(), s.firstIndex, f.index, f.getMessage(), s.lastCheckpoint);
        }
        return s;
    }

    /** The size a checkpoint note says it is signed for, read before its signature is checked; -1 when it says none. */
    private static long sizeLine(String note) {
        if (note == null) return -1;
        try {
            return LogProofs.parseUnverified(note).size();
        } catch (IllegalArgumentException unreadable) {
            return -1; // its signature check, after the scan, says why
        }
    }

    private void checkAgainst(Scan s, Checkpoint cp, String what) {
        if (s.lastCheckpoint != null && !cp.origin().equals(s.lastCheckpoint.origin())) {
            throw new Found(VerificationResult.Status.TAMPERED, s.firstIndex,
                    what + " is for log '" + cp.origin() + "', this log is '" + s.lastCheckpoint.origin() + "'");
        }
        if (cp.size() > s.entries()) {
            throw new Found(VerificationResult.Status.TAMPERED, s.entries(), "log truncated or rolled back: " + what
                    + " is signed for " + cp.size() + " entries but the log holds only " + s.entries());
        }
        if (cp.size() < s.firstIndex) return; // covers only pruned cycles: nothing left to compare
        if (!MessageDigest.isEqual(s.rootAt(cp.size()), cp.rootHash())) {
            throw new Found(VerificationResult.Status.TAMPERED, s.firstIndex, "root mismatch: the first " + cp.size()
                    + " entries are not the ones " + what + " was signed for (log rewritten or rolled back)");
        }
    }

    /** The entry's index and link, or the precise reason (from a full decode) why it is damaged. */
    private static CanonicalEntry.Position position(LogRecord.Entry e, long expected) {
        try {
            return CanonicalEntry.position(e.bytes());
        } catch (IllegalArgumentException prefixBad) {
            try {
                CanonicalEntry.decode(e.bytes());
            } catch (IllegalArgumentException bad) {
                throw new Found(VerificationResult.Status.TAMPERED, expected, "content changed: " + bad.getMessage());
            }
            throw new Found(VerificationResult.Status.TAMPERED, expected, "content changed: " + prefixBad.getMessage());
        }
    }

    /** Scans every record; returns whether a half-written record follows the last complete one. */
    private boolean scanQueue(Path dir, Scan s) {
        LogRecord.Entry lastEntry = null;
        boolean started = false;
        String origin = null;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                long expected = s.entries();
                if (rec instanceof LogRecord.Torn t) {
                    torn(s, expected, t.length());
                    continue;
                }
                if (s.damageAt >= 0) {
                    // After torn records only the writer's recovery entry may come, at the index they would have had.
                    if (!(rec instanceof LogRecord.Entry e) || !isRecovery(e, expected, s)) {
                        throw new Found(VerificationResult.Status.TAMPERED, expected, "content changed: the record after entry "
                                + (expected - 1) + " is damaged and is followed by something other than the writer's recovery entry");
                    }
                    s.damageAt = -1;
                }
                if (rec instanceof LogRecord.Unreadable u) {
                    throw new Found(VerificationResult.Status.TAMPERED, expected, "content changed: the record after entry "
                            + (expected - 1) + " is unreadable (" + u.reason() + ")");
                } else if (rec instanceof LogRecord.Entry e) {
                    CanonicalEntry.Position d = position(e, expected);
                    lastEntry = e;
                    if (!started && d.index() != 0) {
                        throw new Found(VerificationResult.Status.TAMPERED, 0, "entries 0.." + (d.index() - 1)
                                + " removed: the log starts at entry " + d.index() + " without a checkpoint to anchor it");
                    }
                    started = true;
                    if (d.index() != expected) misplaced(dir, e, d, s);
                    byte[] leaf = MerkleTree.leafHash(e.bytes());
                    if (!MessageDigest.isEqual(d.prev(), s.lastLeaf)) brokenLink(dir, e, leaf, s);
                    s.tree.append(leaf);
                    s.keepRoots();
                    s.lastLeaf = leaf;
                } else if (rec instanceof LogRecord.CheckpointRecord c) {
                    Checkpoint cp;
                    try {
                        cp = key.verify(c.note());
                    } catch (InvalidCheckpointException bad) {
                        if (tornNote(c)) {
                            // A checkpoint record torn by a failed write (its unwritten pages read as zeros).
                            torn(s, expected, 1 + 4 + c.note().getBytes(StandardCharsets.UTF_8).length + 32 + 1 + 32L * c.frontier().size());
                            continue;
                        }
                        throw new Found(VerificationResult.Status.TAMPERED, s.signedSize, "checkpoint signature bad (checkpoint after entry "
                                + (expected - 1) + "): " + bad.getMessage());
                    }
                    if (origin == null) origin = cp.origin();
                    if (!origin.equals(cp.origin())) {
                        throw new Found(VerificationResult.Status.TAMPERED, s.signedSize, "checkpoint for another log: '" + cp.origin() + "'");
                    }
                    if (!started && cp.size() > 0) {
                        resumeAfterPrunedCycles(s, c, cp);
                        started = true;
                        continue;
                    }
                    started = true;
                    if (cp.size() > expected) {
                        throw new Found(VerificationResult.Status.TAMPERED, expected, "entr" + (cp.size() - expected == 1 ? "y " + expected : "ies "
                                + expected + ".." + (cp.size() - 1)) + " removed: a checkpoint for " + cp.size() + " entries follows entry " + (expected - 1));
                    }
                    if (cp.size() < expected) {
                        throw new Found(VerificationResult.Status.TAMPERED, cp.size(), "entries reordered: the checkpoint for "
                                + cp.size() + " entries stands after entry " + (expected - 1));
                    }
                    if (!MessageDigest.isEqual(cp.rootHash(), s.tree.root())) {
                        long at = expected > s.signedSize ? expected - 1 : s.signedSize;
                        throw new Found(VerificationResult.Status.TAMPERED, at, "root mismatch at the checkpoint for " + cp.size()
                                + " entries: entry " + at + " changed (or entries " + s.signedSize + ".." + at + " were rewritten with their links)");
                    }
                    s.signedSize = cp.size();
                    s.lastCheckpoint = cp;
                }
            }
            if (lastEntry != null) {
                // Every other entry's bytes are bound by the next entry's link; the last one is checked whole.
                try {
                    CanonicalEntry.decode(lastEntry.bytes());
                } catch (IllegalArgumentException bad) {
                    throw new Found(VerificationResult.Status.TAMPERED, s.entries() - 1, "content changed: " + bad.getMessage());
                }
            }
            return reader.endsWithIncompleteRecord();
        }
    }

    private static void torn(Scan s, long expected, long bytes) {
        if (s.damageAt < 0) {
            s.damageAt = expected;
            s.damagedRecords = 0;
            s.damagedBytes = 0;
        }
        s.damagedRecords++;
        s.damagedBytes += bytes;
    }

    /** A checkpoint whose note was cut short: its unwritten part reads as NUL characters, which a signed note never holds. */
    private static boolean tornNote(LogRecord.CheckpointRecord c) {
        return c.note().indexOf('\0') >= 0;
    }

    /** The entry a writer appends after skipping torn records: the next index, linked to the last intact entry. */
    private static boolean isRecovery(LogRecord.Entry e, long expected, Scan s) {
        try {
            CanonicalEntry.Position p = CanonicalEntry.position(e.bytes());
            return p.index() == expected && MessageDigest.isEqual(p.prev(), s.lastLeaf)
                    && CanonicalEntry.decode(e.bytes()).event().type() == AuditEventType.LOG_RECOVERED;
        } catch (IllegalArgumentException notOne) {
            return false;
        }
    }

    private static void resumeAfterPrunedCycles(Scan s, LogRecord.CheckpointRecord c, Checkpoint cp) {
        MerkleTree t;
        try {
            t = new MerkleTree(cp.size(), c.frontier());
        } catch (IllegalArgumentException bad) {
            throw new Found(VerificationResult.Status.TAMPERED, cp.size(), "the first checkpoint's resume state is damaged: " + bad.getMessage());
        }
        if (!MessageDigest.isEqual(t.root(), cp.rootHash())) {
            throw new Found(VerificationResult.Status.TAMPERED, cp.size(), "the first checkpoint's resume state does not match its signed root");
        }
        s.tree = t;
        s.keepRoots();
        s.firstIndex = cp.size();
        s.signedSize = cp.size();
        s.lastLeaf = c.lastLeafHash().clone();
        s.lastCheckpoint = cp;
    }

    /** An entry whose index is not the next one: its own index field changed, or entries were removed or moved. */
    private static void misplaced(Path dir, LogRecord.Entry e, CanonicalEntry.Position d, Scan s) {
        long expected = s.entries();
        if (MessageDigest.isEqual(d.prev(), s.lastLeaf)) {
            throw new Found(VerificationResult.Status.TAMPERED, expected, "content changed: entry " + expected
                    + " says it is entry " + d.index());
        }
        if (d.index() < expected) {
            throw new Found(VerificationResult.Status.TAMPERED, d.index(), "entries reordered: entry " + d.index()
                    + " appears again after entry " + (expected - 1));
        }
        if (indexAppearsAfter(dir, e.queueIndex(), expected)) {
            throw new Found(VerificationResult.Status.TAMPERED, expected, "entries reordered: entry " + d.index()
                    + " stands where entry " + expected + " belongs");
        }
        throw new Found(VerificationResult.Status.TAMPERED, expected, (d.index() - expected == 1 ? "entry " + expected
                : "entries " + expected + ".." + (d.index() - 1)) + " removed");
    }

    /**
     * Entry {@code e} does not link to the entry before it. A change to the body of the previous entry
     * breaks only this link; a change to this entry's own link breaks this link and the next one too.
     */
    private static void brokenLink(Path dir, LogRecord.Entry e, byte[] leaf, Scan s) {
        long index = s.entries();
        if (index == s.firstIndex && index > 0) {
            throw new Found(VerificationResult.Status.TAMPERED, index, "content changed: entry " + index
                    + " does not link to the checkpoint it follows");
        }
        LogRecord.Entry next = nextEntryAfter(dir, e.queueIndex());
        boolean nextLinkAlsoBroken = false;
        if (next != null) {
            try {
                nextLinkAlsoBroken = !MessageDigest.isEqual(CanonicalEntry.position(next.bytes()).prev(), leaf);
            } catch (IllegalArgumentException unreadable) {
                nextLinkAlsoBroken = true;
            }
        }
        if (nextLinkAlsoBroken) {
            throw new Found(VerificationResult.Status.TAMPERED, index, "content changed: entry " + index
                    + " no longer links to entry " + (index - 1) + " nor to entry " + (index + 1));
        }
        throw new Found(VerificationResult.Status.TAMPERED, index - 1, "content changed: entry " + (index - 1)
                + " no longer matches the hash recorded in entry " + index);
    }

    private static LogRecord.Entry nextEntryAfter(Path dir, long queueIndex) {
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            if (!r.moveTo(queueIndex)) return null;
            r.next();
            LogRecord rec;
            while ((rec = r.next()) != null) {
                if (rec instanceof LogRecord.Entry e) return e;
            }
            return null;
        }
    }

    private static boolean indexAppearsAfter(Path dir, long queueIndex, long index) {
        byte[] prefix = ("{\"index\":" + index + ",").getBytes(StandardCharsets.US_ASCII);
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            if (!r.moveTo(queueIndex)) return false;
            LogRecord rec;
            while ((rec = r.next()) != null) {
                if (rec instanceof LogRecord.Entry e && e.bytes().length > prefix.length
                        && Arrays.equals(e.bytes(), 0, prefix.length, prefix, 0, prefix.length)) {
                    return true;
                }
            }
            return false;
        }
    }

    static String readCheckpointFile(Path dir) {
        try {
            return Files.readString(dir.resolve(CHECKPOINT_FILE), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(CHECKPOINT_FILE), e);
        }
    }
}
