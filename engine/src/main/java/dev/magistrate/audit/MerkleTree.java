package dev.magistrate.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only RFC 6962 / RFC 9162 Merkle tree that keeps only its frontier: the roots of the
 * perfect subtrees along the right edge, one per set bit of the size. Appending merges as many
 * subtrees as the size has trailing one bits (amortised one node hash per leaf); the root is a
 * fold over at most 64 frontier nodes. Not thread-safe: the audit log appends under its lock.
 */
public final class MerkleTree {

    private final MessageDigest sha256 = sha256();
    private final List<byte[]> frontier = new ArrayList<>();
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
        for (byte[] h : frontier) {
            if (h.length != 32) throw new IllegalArgumentException("frontier nodes are 32-byte hashes");
            this.frontier.add(h.clone());
        }
        this.size = size;
    }

    public long size() {
        return size;
    }

    /** Appends a leaf hash (see {@link #leafHash}). */
    public void append(byte[] leafHash) {
        if (leafHash.length != 32) throw new IllegalArgumentException("leaf hash must be 32 bytes");
        byte[] h = leafHash;
        for (long n = size; (n & 1) == 1; n >>>= 1) {
            h = nodeHash(sha256, frontier.remove(frontier.size() - 1), h);
        }
        frontier.add(h);
        size++;
    }

    /** The root hash of the current tree; SHA-256 of nothing for the empty tree. */
    public byte[] root() {
        if (frontier.isEmpty()) return sha256.digest();
        byte[] acc = frontier.get(frontier.size() - 1);
        for (int i = frontier.size() - 2; i >= 0; i--) acc = nodeHash(sha256, frontier.get(i), acc);
        return acc.clone();
    }

    /** Copies of the frontier nodes, largest subtree first. */
    public List<byte[]> frontier() {
        List<byte[]> copy = new ArrayList<>(frontier.size());
        for (byte[] h : frontier) copy.add(h.clone());
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
