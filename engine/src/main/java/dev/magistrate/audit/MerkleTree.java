package dev.magistrate.audit;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An append-only RFC 6962 / RFC 9162 Merkle tree that keeps only its frontier: the roots of the
 * perfect subtrees along the right edge, one per set bit of the size. Appending merges as many
 * subtrees as the size has trailing one bits (amortised one node hash per leaf); the root is a
 * fold over at most 64 frontier nodes. Not thread-safe: the audit log appends under its lock.
 */
public final class MerkleTree {

    private final MessageDigest sha256 = sha256();
    /** The frontier nodes, largest subtree first, 32 bytes each, packed: appending allocates nothing. */
    private final byte[] frontier = new byte[64 * 32];
    private long size;

    public MerkleTree() {
    }

    /** A tree of {@code size} leaves given its frontier, largest subtree first (as {@link #frontier()} returns it). */
    public MerkleTree(long size, List<byte[]> frontier) {
        if (size < 0) throw new IllegalArgumentException("negative tree size");
        if (frontier.size() != Long.bitCount(size)) {
            throw new IllegalArgumentException("a tree of size " + size + " has " + Long.bitCount(size)
                    + " frontier nodes, not " + frontier.size());
        }
        for (int i = 0; i < frontier.size(); i++) {
            byte[] h = frontier.get(i);
            if (h.length != 32) throw new IllegalArgumentException("frontier nodes are 32-byte hashes");
            System.arraycopy(h, 0, this.frontier, 32 * i, 32);
        }
        this.size = size;
    }

    public long size() {
        return size;
    }

    /** Appends a leaf hash (see {@link #leafHash}). */
    public void append(byte[] leafHash) {
        if (leafHash.length != 32) throw new IllegalArgumentException("leaf hash must be 32 bytes");
        int top = Long.bitCount(size);
        System.arraycopy(leafHash, 0, frontier, 32 * top, 32);
        // Each trailing one bit of the size is a subtree as large as the one just completed: merge it in place.
        for (long n = size; (n & 1) == 1; n >>>= 1) {
            top--;
            sha256.update((byte) 1);
            sha256.update(frontier, 32 * top, 64);
            digestInto(sha256, frontier, 32 * top);
        }
        size++;
    }

    /** The root hash of the current tree; SHA-256 of nothing for the empty tree. */
    public byte[] root() {
        int n = Long.bitCount(size);
        if (n == 0) return sha256.digest();
        byte[] acc = Arrays.copyOfRange(frontier, 32 * (n - 1), 32 * n);
        for (int i = n - 2; i >= 0; i--) {
            sha256.update((byte) 1);
            sha256.update(frontier, 32 * i, 32);
            sha256.update(acc);
            digestInto(sha256, acc, 0);
        }
        return acc;
    }

    /** Copies of the frontier nodes, largest subtree first. */
    public List<byte[]> frontier() {
        int n = Long.bitCount(size);
        List<byte[]> copy = new ArrayList<>(n);
        for (int i = 0; i < n; i++) copy.add(Arrays.copyOfRange(frontier, 32 * i, 32 * i + 32));
        return copy;
    }

    /** SHA-256(0x00 || entry bytes). */
    public static byte[] leafHash(byte[] entry) {
        return leafHash(sha256(), entry);
    }

    static byte[] leafHash(MessageDigest sha256, byte[] entry) {
        return leafHash(sha256, entry, 0, entry.length);
    }

    /** The leaf hash of the entry bytes at {@code offset}, {@code length} long. */
    static byte[] leafHash(MessageDigest sha256, byte[] bytes, int offset, int length) {
        sha256.update((byte) 0);
        sha256.update(bytes, offset, length);
        return sha256.digest();
    }

    /** Writes SHA-256(0x00 || the entry bytes at {@code offset}, {@code length} long) into {@code out}: no array per leaf. */
    static void leafHash(MessageDigest sha256, byte[] bytes, int offset, int length, byte[] out) {
        sha256.update((byte) 0);
        sha256.update(bytes, offset, length);
        digestInto(sha256, out, 0);
    }

    /** Writes SHA-256 of the first {@code length} bytes of {@code bytes} into {@code out}; a leaf when {@code bytes[0]} is 0. */
    static void hashInto(MessageDigest sha256, byte[] bytes, int length, byte[] out) {
        sha256.update(bytes, 0, length);
        digestInto(sha256, out, 0);
    }

    private static void digestInto(MessageDigest sha256, byte[] out, int offset) {
        try {
            sha256.digest(out, offset, 32);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 digest did not fit 32 bytes", e);
        }
    }

    /** SHA-256(0x01 || left || right). */
    public static byte[] nodeHash(byte[] left, byte[] right) {
        return nodeHash(sha256(), left, right);
    }

    static byte[] nodeHash(MessageDigest sha256, byte[] left, byte[] right) {
        sha256.update((byte) 1);
        sha256.update(left);
        sha256.update(right);
        return sha256.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
