package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consistency proof built from the older tree's frontier and the leaves after it (what the checkpoint shipper keeps) is
 * the RFC 9162 proof built from every leaf, node for node, for every pair of sizes up to 70.
 */
class ConsistencyFromFrontierTest {

    @Test
    void theProofFromTheFrontierIsTheProofFromAllLeavesForEveryPairOfSizes() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 70; i++) leaves.add(MerkleTree.leafHash(("entry " + i).getBytes(StandardCharsets.UTF_8)));
        for (int m = 0; m <= 70; m++) {
            MerkleTree older = new MerkleTree();
            for (int i = 0; i < m; i++) older.append(leaves.get(i));
            for (int n = m; n <= 70; n++) {
                List<byte[]> expected = MerkleProofs.consistencyProof(leaves, m, n);
                List<byte[]> fromFrontier = MerkleProofs.consistencyProof(older, leaves.subList(m, n), n);
                assertEquals(expected.size(), fromFrontier.size(), m + " -> " + n);
                for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), fromFrontier.get(i), m + " -> " + n + " node " + i);
                byte[] root2 = MerkleProofs.root(leaves, n);
                assertTrue(MerkleProofs.verifyConsistency(m, n, older.root(), root2, fromFrontier), m + " -> " + n);
                if (m > 0 && m < n) {
                    byte[] otherRoot = MerkleTree.leafHash("another history".getBytes(StandardCharsets.UTF_8));
                    assertFalse(MerkleProofs.verifyConsistency(m, n, otherRoot, root2, fromFrontier), "a forked older root fails " + m + " -> " + n);
                }
            }
        }
    }
}
