package dev.magistrate.audit;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Inclusion and consistency proofs for RFC 6962 / RFC 9162 Merkle trees: generation from the list
 * of leaf hashes (RFC 9162 sections 2.1.3.1 and 2.1.4.1) and verification (sections 2.1.3.2 and
 * 2.1.4.2). Verification returns false for any malformed or wrong proof; it never throws on bad
 * proof data.
 */
public final class MerkleProofs {

    private MerkleProofs() {
    }

    /** MTH(D[0:size]) over the given leaf hashes. */
    public static byte[] root(List<byte[]> leafHashes, long size) {
        checkSize(leafHashes, size);
        MessageDigest sha = MerkleTree.sha256();
        if (size == 0) return sha.digest();
        return subtreeHash(sha, leafHashes, 0, (int) size);
    }

    /** PATH(index, D[0:size]): the audit path proving that leaf {@code index} is in the tree of {@code size} leaves. */
    public static List<byte[]> inclusionProof(List<byte[]> leafHashes, long index, long size) {
        checkSize(leafHashes, size);
        if (index < 0 || index >= size) throw new IllegalArgumentException("index " + index + " is not in a tree of size " + size);
        List<byte[]> proof = new ArrayList<>();
        path(MerkleTree.sha256(), leafHashes, (int) index, 0, (int) size, proof);
        return proof;
    }

    /** PROOF(size1, D[0:size2]): proves that the tree of size1 leaves is a prefix of the tree of size2 leaves. */
    public static List<byte[]> consistencyProof(List<byte[]> leafHashes, long size1, long size2) {
        checkSize(leafHashes, size2);
        if (size1 < 0 || size1 > size2) throw new IllegalArgumentException("need 0 <= size1 <= size2, got " + size1 + ", " + size2);
        List<byte[]> proof = new ArrayList<>();
        if (size1 == 0 || size1 == size2) return proof;
        MessageDigest sha = MerkleTree.sha256();
        subproof((from, to) -> subtreeHash(sha, leafHashes, from, to), (int) size1, 0, (int) size2, true, proof);
        return proof;
    }

    /**
     * PROOF(size1, D[0:size2]) from the older tree's frontier and only the leaf hashes after it ({@code newerLeaves}: leaves
     * size1 .. size2-1), so that proving a new checkpoint against the last witnessed one costs the entries since then, not
     * the whole log. The proof needs no other node of the older tree: the nodes it takes from there are the frontier's.
     */
    public static List<byte[]> consistencyProof(MerkleTree older, List<byte[]> newerLeaves, long size2) {
        long size1 = older.size();
        if (size2 < size1 || newerLeaves.size() < size2 - size1) {
            throw new IllegalArgumentException("need " + (size2 - size1) + " leaves after " + size1 + ", got " + newerLeaves.size());
        }
        List<byte[]> proof = new ArrayList<>();
        if (size1 == 0 || size1 == size2) return proof;
        List<byte[]> frontier = older.frontier();
        MessageDigest sha = MerkleTree.sha256();
        Subtrees hashes = (from, to) -> {
            if (from >= size1) return subtreeHash(sha, newerLeaves, (int) (from - size1), (int) (to - size1));
            long start = 0;
            int node = 0;
            for (long bit = Long.highestOneBit(size1); bit > 0; bit >>>= 1) {
                if ((size1 & bit) == 0) continue;
                if (start == from && start + bit == to) return frontier.get(node);
                start += bit;
                node++;
            }
            throw new IllegalStateException("[" + from + ", " + to + ") is not a frontier node of a tree of " + size1);
        };
        subproof(hashes, (int) size1, 0, (int) size2, true, proof);
        return proof;
    }

    /** MTH(D[from:to]) of an aligned subtree. */
    private interface Subtrees {
        byte[] hash(int from, int to);
    }

    /** RFC 9162 section 2.1.3.2. */
    public static boolean verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root) {
        if (index < 0 || index >= size || leafHash == null || leafHash.length != 32 || root == null || !allHashes(proof)) return false;
        MessageDigest sha = MerkleTree.sha256();
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn) {
                r = MerkleTree.nodeHash(sha, p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = MerkleTree.nodeHash(sha, r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** RFC 9162 section 2.1.4.2, plus the trivial cases size1 == 0 and size1 == size2 (empty proof). */
    public static boolean verifyConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof) {
        if (size1 < 0 || size2 < size1 || root1 == null || root2 == null || !allHashes(proof)) return false;
        if (size1 == size2) return proof.isEmpty() && MessageDigest.isEqual(root1, root2);
        if (size1 == 0) return proof.isEmpty();
        if (proof.isEmpty()) return false;
        List<byte[]> path = proof;
        if ((size1 & (size1 - 1)) == 0) {
            path = new ArrayList<>(proof.size() + 1);
            path.add(root1);
            path.addAll(proof);
        }
        MessageDigest sha = MerkleTree.sha256();
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (byte[] c : path.subList(1, path.size())) {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn) {
                fr = MerkleTree.nodeHash(sha, c, fr);
                sr = MerkleTree.nodeHash(sha, c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = MerkleTree.nodeHash(sha, sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, root1) && MessageDigest.isEqual(sr, root2);
    }

    private static boolean allHashes(List<byte[]> proof) {
        if (proof == null) return false;
        for (byte[] p : proof) if (p == null || p.length != 32) return false;
        return true;
    }

    private static void checkSize(List<byte[]> leafHashes, long size) {
        if (size < 0 || size > leafHashes.size()) {
            throw new IllegalArgumentException("tree size " + size + " is outside 0.." + leafHashes.size());
        }
    }

    /** Largest power of two strictly smaller than n (n >= 2). */
    private static int split(int n) {
        return Integer.highestOneBit(n - 1);
    }

    private static byte[] subtreeHash(MessageDigest sha, List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 1) return leaves.get(from);
        int k = split(n);
        return MerkleTree.nodeHash(sha, subtreeHash(sha, leaves, from, from + k), subtreeHash(sha, leaves, from + k, to));
    }

    private static void path(MessageDigest sha, List<byte[]> leaves, int m, int from, int to, List<byte[]> out) {
        int n = to - from;
        if (n == 1) return;
        int k = split(n);
        if (m < k) {
            path(sha, leaves, m, from, from + k, out);
            out.add(subtreeHash(sha, leaves, from + k, to));
        } else {
            path(sha, leaves, m - k, from + k, to, out);
            out.add(subtreeHash(sha, leaves, from, from + k));
        }
    }

    private static void subproof(Subtrees hashes, int m, int from, int to, boolean complete, List<byte[]> out) {
        int n = to - from;
        if (m == n) {
            if (!complete) out.add(hashes.hash(from, to));
            return;
        }
        int k = split(n);
        if (m <= k) {
            subproof(hashes, m, from, from + k, complete, out);
            out.add(hashes.hash(from + k, to));
        } else {
            subproof(hashes, m - k, from + k, to, false, out);
            out.add(hashes.hash(from, from + k));
        }
    }
}
