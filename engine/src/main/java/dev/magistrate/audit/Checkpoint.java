package dev.magistrate.audit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The signed statement "the log named {@code origin} had {@code size} entries with this Merkle
 * root", in the C2SP tlog-checkpoint body form: origin line, decimal size, base64 root hash, each
 * ending in a newline. {@link CheckpointSigner} wraps it in a signed note.
 */
public record Checkpoint(String origin, long size, byte[] rootHash) {

    public Checkpoint {
        Objects.requireNonNull(origin, "origin");
        if (origin.isEmpty() || origin.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("origin must be a non-empty line of printable text");
        }
        if (size < 0) throw new IllegalArgumentException("negative tree size");
        if (rootHash == null || rootHash.length != 32) throw new IllegalArgumentException("root hash must be 32 bytes");
        rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** The note text that is signed. */
    public String body() {
        return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
    }

    /** Parses a checkpoint body; extension lines after the root are ignored, as the spec allows. */
    public static Checkpoint parseBody(String body) {
        if (!body.endsWith("\n")) throw new IllegalArgumentException("checkpoint body must end with a newline");
        String[] lines = body.substring(0, body.length() - 1).split("\n", -1);
        if (lines.length < 3) throw new IllegalArgumentException("checkpoint body needs origin, size and root lines");
        if (!lines[1].matches("0|[1-9][0-9]{0,18}")) throw new IllegalArgumentException("checkpoint size is not a decimal number");
        long size;
        try {
            size = Long.parseLong(lines[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint size is out of range");
        }
        byte[] root;
        try {
            root = Base64.getDecoder().decode(lines[2].getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint root is not base64");
        }
        return new Checkpoint(lines[0], size, root);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.origin.equals(origin) && c.size == size
                && Arrays.equals(c.rootHash, rootHash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, size, Arrays.hashCode(rootHash));
    }

    @Override
    public String toString() {
        return "Checkpoint[" + origin + ", size " + size + ", root " + java.util.HexFormat.of().formatHex(rootHash) + "]";
    }
}
