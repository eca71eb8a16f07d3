package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Known answers from the transparency-dev/merkle test suite (Apache-2.0):
 * testonly/constants.go (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1: leaf inputs, node hashes,
 * roots, compact trees), proof/verify_test.go (commit 02194e9afb6c1d95b5381350007963aa70fff472:
 * inclusion and consistency proofs and the corrupted-proof probes) and rfc6962/rfc6962_test.go
 * (commit 78493b07ef9b552e3379abf9e23d4da26fbe797c: hasher vectors).
 */
class MerkleKnownAnswerTest {

    private static final HexFormat HEX = HexFormat.of();

    private static byte[] h(String hex) {
        return HEX.parseHex(hex);
    }

    static final byte[][] LEAF_INPUTS = {
            h(""), h("00"), h("10"), h("2021"), h("3031"), h("40414243"), h("5051525354555657"),
            h("606162636465666768696a6b6c6d6e6f")};

    static final byte[] EMPTY_ROOT = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static final byte[] SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456");

    /** RootHashes(): index = tree size. */
    static final byte[][] ROOTS = {
            EMPTY_ROOT,
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
            h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
            h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
            h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
            h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};

    /** NodeHashes(): [level][index]. */
    static final byte[][][] NODES = {{
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
            h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")}, {
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")}, {
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}, {
            h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")}};

    /** CompactTrees(): the frontier for each size, as node coordinates {level, index}. */
    static final int[][][] COMPACT = {
            {}, {{0, 0}}, {{1, 0}}, {{1, 0}, {0, 2}}, {{2, 0}}, {{2, 0}, {0, 4}}, {{2, 0}, {1, 2}},
            {{2, 0}, {1, 2}, {0, 6}}, {{3, 0}}};

    record InclusionVector(long leaf, long size, byte[][] proof) {
    }

    record ConsistencyVector(long size1, long size2, byte[][] proof) {
    }

    /** inclusionProofs (1-based leaf numbers, as in the Go file); entry {0, 0} is an invalid path and skipped there too. */
    static final List<InclusionVector> INCLUSION = List.of(
            new InclusionVector(1, 1, new byte[][]{}),
            new InclusionVector(1, 8, new byte[][]{
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}),
            new InclusionVector(6, 8, new byte[][]{
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}),
            new InclusionVector(3, 3, new byte[][]{
                    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}),
            new InclusionVector(2, 5, new byte[][]{
                    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}));

    static final List<ConsistencyVector> CONSISTENCY = List.of(
            new ConsistencyVector(1, 1, new byte[][]{}),
            new ConsistencyVector(1, 8, new byte[][]{
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}),
            new ConsistencyVector(6, 8, new byte[][]{
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}),
            new ConsistencyVector(2, 5, new byte[][]{
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}),
            new ConsistencyVector(6, 7, new byte[][]{
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}));

    static List<byte[]> leafHashes() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] in : LEAF_INPUTS) out.add(MerkleTree.leafHash(in));
        return out;
    }

    @Test
    void hasherMatchesRfc6962Vectors() {
        assertArrayEquals(EMPTY_ROOT, new MerkleTree().root());
        assertArrayEquals(h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"), MerkleTree.leafHash(new byte[0]));
        assertArrayEquals(h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
                MerkleTree.leafHash("L123456".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"),
                MerkleTree.nodeHash("N123".getBytes(StandardCharsets.US_ASCII), "N456".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void incrementalRootAndFrontierMatchKnownAnswersForEverySize() {
        MerkleTree tree = new MerkleTree();
        List<byte[]> leaves = leafHashes();
        for (int size = 0; size <= 8; size++) {
            assertArrayEquals(ROOTS[size], tree.root(), "incremental root of size " + size);
            assertArrayEquals(ROOTS[size], MerkleProofs.root(leaves, size), "recursive root of size " + size);
            List<byte[]> frontier = tree.frontier();
            assertEquals(COMPACT[size].length, frontier.size(), "frontier length at size " + size);
            for (int i = 0; i < frontier.size(); i++) {
                assertArrayEquals(NODES[COMPACT[size][i][0]][COMPACT[size][i][1]], frontier.get(i), "frontier node " + i + " at size " + size);
            }
            MerkleTree resumed = new MerkleTree(size, frontier);
            assertArrayEquals(ROOTS[size], resumed.root(), "tree resumed from its frontier at size " + size);
            if (size < 8) tree.append(leaves.get(size));
        }
    }

    @Test
    void inclusionProofsMatchKnownAnswersAndEveryCorruptionIsRejected() {
        List<byte[]> leaves = leafHashes();
        for (InclusionVector v : INCLUSION) {
            long index = v.leaf() - 1;
            List<byte[]> proof = List.of(v.proof());
            byte[] root = ROOTS[(int) v.size()];
            byte[] leaf = leaves.get((int) index);
            List<byte[]> generated = MerkleProofs.inclusionProof(leaves, index, v.size());
            assertEquals(proof.size(), generated.size(), "proof length for " + v);
            for (int i = 0; i < proof.size(); i++) assertArrayEquals(proof.get(i), generated.get(i), "proof element " + i);
            assertTrue(MerkleProofs.verifyInclusion(index, v.size(), leaf, proof, root), "known good proof " + v);
            for (Probe p : corruptInclusion(index, v.size(), proof, root, leaf)) {
                assertFalse(MerkleProofs.verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root), "accepted corrupted proof: " + p.desc);
            }
        }
    }

    @Test
    void inclusionOfSingleEntryAndInvalidPositions() {
        byte[] hash = MerkleTree.leafHash("data".getBytes(StandardCharsets.US_ASCII));
        assertTrue(MerkleProofs.verifyInclusion(0, 1, hash, List.of(), hash));
        assertFalse(MerkleProofs.verifyInclusion(0, 1, new byte[0], List.of(), hash));
        assertFalse(MerkleProofs.verifyInclusion(0, 1, hash, List.of(), new byte[0]));
        assertFalse(MerkleProofs.verifyInclusion(0, 1, new byte[0], List.of(), new byte[0]));
        long[][] probes = {{0, 0}, {0, 1}, {1, 0}, {2, 1}};
        for (long[] p : probes) {
            assertFalse(MerkleProofs.verifyInclusion(p[0], p[1], SOME_HASH, List.of(), new byte[0]));
            assertFalse(MerkleProofs.verifyInclusion(p[0], p[1], new byte[0], List.of(), EMPTY_ROOT));
            assertFalse(MerkleProofs.verifyInclusion(p[0], p[1], SOME_HASH, List.of(), EMPTY_ROOT));
        }
    }

    @Test
    void consistencyProofsMatchKnownAnswersAndEveryCorruptionIsRejected() {
        List<byte[]> leaves = leafHashes();
        for (ConsistencyVector v : CONSISTENCY) {
            byte[] root1 = ROOTS[(int) v.size1()];
            byte[] root2 = ROOTS[(int) v.size2()];
            List<byte[]> proof = List.of(v.proof());
            List<byte[]> generated = MerkleProofs.consistencyProof(leaves, v.size1(), v.size2());
            assertEquals(proof.size(), generated.size(), "proof length for " + v);
            for (int i = 0; i < proof.size(); i++) assertArrayEquals(proof.get(i), generated.get(i), "proof element " + i);
            assertTrue(MerkleProofs.verifyConsistency(v.size1(), v.size2(), root1, root2, proof), "known good proof " + v);
            if (proof.isEmpty()) continue; // as in the Go test: only non-trivial proofs are corrupted
            for (CProbe p : corruptConsistency(v.size1(), v.size2(), root1, root2, proof)) {
                assertFalse(MerkleProofs.verifyConsistency(p.size1, p.size2, p.root1, p.root2, p.proof), "accepted corrupted proof: " + p.desc);
            }
        }
    }

    @Test
    void consistencyEdgeCasesFromTheGoSuite() {
        byte[] root1 = "don't care 1".getBytes(StandardCharsets.US_ASCII);
        byte[] root2 = "don't care 2".getBytes(StandardCharsets.US_ASCII);
        List<byte[]> none = List.of();
        List<byte[]> one = List.of(EMPTY_ROOT);
        assertFalse(MerkleProofs.verifyConsistency(0, 0, root1, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(1, 1, root1, root2, none));
        assertTrue(MerkleProofs.verifyConsistency(0, 0, root1, root1, none));
        assertTrue(MerkleProofs.verifyConsistency(0, 1, root1, root2, none));
        assertTrue(MerkleProofs.verifyConsistency(1, 1, root2, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(1, 0, root1, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(2, 1, root1, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(1, 2, root1, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(0, 0, EMPTY_ROOT, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(1, 1, EMPTY_ROOT, root2, none));
        assertFalse(MerkleProofs.verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, one));
        assertFalse(MerkleProofs.verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, one));
        assertFalse(MerkleProofs.verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, one));
    }

    @Test
    void generatedProofsVerifyForAllSizesUpTo70() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 70; i++) leaves.add(MerkleTree.leafHash(("leaf " + i).getBytes(StandardCharsets.US_ASCII)));
        MerkleTree tree = new MerkleTree();
        List<byte[]> roots = new ArrayList<>();
        roots.add(tree.root());
        for (byte[] leaf : leaves) {
            tree.append(leaf);
            roots.add(tree.root());
        }
        for (int n = 1; n <= 70; n++) {
            assertArrayEquals(MerkleProofs.root(leaves, n), roots.get(n));
            for (int i = 0; i < n; i++) {
                assertTrue(MerkleProofs.verifyInclusion(i, n, leaves.get(i), MerkleProofs.inclusionProof(leaves, i, n), roots.get(n)));
            }
            for (int m = 0; m <= n; m++) {
                List<byte[]> p = MerkleProofs.consistencyProof(leaves, m, n);
                assertTrue(MerkleProofs.verifyConsistency(m, n, roots.get(m), roots.get(n), p), m + " -> " + n);
                if (m > 0 && m < n) assertFalse(MerkleProofs.verifyConsistency(m, n, roots.get(m), roots.get(n - 1), p));
            }
        }
    }

    record Probe(long index, long size, byte[] root, byte[] leaf, List<byte[]> proof, String desc) {
    }

    record CProbe(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof, String desc) {
    }

    private static List<byte[]> with(List<byte[]> proof, boolean atEnd, byte[]... extra) {
        List<byte[]> out = new ArrayList<>();
        if (!atEnd) out.addAll(List.of(extra));
        out.addAll(proof);
        if (atEnd) out.addAll(List.of(extra));
        return out;
    }

    /** corruptInclusionProof from proof/verify_test.go. */
    static List<Probe> corruptInclusion(long index, long size, List<byte[]> proof, byte[] root, byte[] leaf) {
        List<Probe> ret = new ArrayList<>(List.of(
                new Probe(index - 1, size, root, leaf, proof, "leafIndex - 1"),
                new Probe(index + 1, size, root, leaf, proof, "leafIndex + 1"),
                new Probe(index ^ 2, size, root, leaf, proof, "leafIndex ^ 2"),
                new Probe(index, size * 2, root, leaf, proof, "treeSize * 2"),
                new Probe(index, size / 2, root, leaf, proof, "treeSize / 2"),
                new Probe(index, size, root, "WrongLeaf".getBytes(StandardCharsets.US_ASCII), proof, "wrong leaf"),
                new Probe(index, size, EMPTY_ROOT, leaf, proof, "empty root"),
                new Probe(index, size, SOME_HASH, leaf, proof, "random root"),
                new Probe(index, size, root, leaf, with(proof, true, new byte[0]), "trailing garbage"),
                new Probe(index, size, root, leaf, with(proof, true, root), "trailing root"),
                new Probe(index, size, root, leaf, with(proof, false, new byte[0]), "preceding garbage"),
                new Probe(index, size, root, leaf, with(proof, false, root), "preceding root")));
        for (int i = 0; i < proof.size(); i++) {
            List<byte[]> wrong = new ArrayList<>(proof);
            byte[] flipped = proof.get(i).clone();
            flipped[0] ^= 8;
            wrong.set(i, flipped);
            ret.add(new Probe(index, size, root, leaf, wrong, "modified proof[" + i + "] bit 3"));
        }
        if (!proof.isEmpty()) ret.add(new Probe(index, size, root, leaf, proof.subList(0, proof.size() - 1), "removed component"));
        if (proof.size() > 1) {
            List<byte[]> wrong = new ArrayList<>(List.of(proof.get(0), SOME_HASH));
            wrong.addAll(proof.subList(1, proof.size()));
            ret.add(new Probe(index, size, root, leaf, wrong, "inserted component"));
        }
        return ret;
    }

    /** corruptConsistencyProof from proof/verify_test.go. */
    static List<CProbe> corruptConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof) {
        byte[] wrongRoot = "WrongRoot".getBytes(StandardCharsets.US_ASCII);
        List<CProbe> ret = new ArrayList<>(List.of(
                new CProbe(size1 - 1, size2, root1, root2, proof, "size1 - 1"),
                new CProbe(size1 + 1, size2, root1, root2, proof, "size1 + 1"),
                new CProbe(size1 ^ 2, size2, root1, root2, proof, "size1 ^ 2"),
                new CProbe(size1, size2 * 2, root1, root2, proof, "size2 * 2"),
                new CProbe(size1, size2 / 2, root1, root2, proof, "size2 / 2"),
                new CProbe(size1, size2, wrongRoot, root2, proof, "wrong root1"),
                new CProbe(size1, size2, root1, wrongRoot, proof, "wrong root2"),
                new CProbe(size1, size2, root2, root1, proof, "swapped roots"),
                new CProbe(size1, size2, root1, root2, List.of(), "empty proof"),
                new CProbe(size1, size2, root1, root2, with(proof, true, new byte[0]), "trailing garbage"),
                new CProbe(size1, size2, root1, root2, with(proof, true, root1), "trailing root1"),
                new CProbe(size1, size2, root1, root2, with(proof, true, root2), "trailing root2"),
                new CProbe(size1, size2, root1, root2, with(proof, false, new byte[0]), "preceding garbage"),
                new CProbe(size1, size2, root1, root2, with(proof, false, root1), "preceding root1"),
                new CProbe(size1, size2, root1, root2, with(proof, false, root2), "preceding root2"),
                new CProbe(size1, size2, root1, root2, with(proof, false, proof.get(0)), "preceding proof[0]")));
        ret.add(new CProbe(size1, size2, root1, root2, proof.subList(0, proof.size() - 1), "truncated proof"));
        for (int i = 0; i < proof.size(); i++) {
            List<byte[]> wrong = new ArrayList<>(proof);
            byte[] flipped = proof.get(i).clone();
            flipped[0] ^= 16;
            wrong.set(i, flipped);
            ret.add(new CProbe(size1, size2, root1, root2, wrong, "modified proof[" + i + "] bit 4"));
        }
        return ret;
    }
}
