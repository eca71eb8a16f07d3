package dev.magistrate.audit;

import java.util.AbstractList;
import java.util.Arrays;

/** Leaf hashes packed 32 bytes each, as a list view: what proofs are generated from. */
final class LeafHashes extends AbstractList<byte[]> {

    private byte[] data = new byte[32 * 1024];
    private int size;

    void add32(byte[] hash) {
        if (32L * (size + 1) > data.length) {
            if (data.length >= Integer.MAX_VALUE / 2) throw new IllegalStateException("too many leaves to hold in memory");
            data = Arrays.copyOf(data, data.length * 2);
        }
        System.arraycopy(hash, 0, data, 32 * size, 32);
        size++;
    }

    @Override
    public byte[] get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
        return Arrays.copyOfRange(data, 32 * i, 32 * i + 32);
    }

    @Override
    public int size() {
        return size;
    }
}
