package dev.magistrate.keys;

/**
 * One key that signs or verifies warrants, bound to exactly one algorithm. Implementations never
 * expose secret material through {@code toString}, exceptions or logs.
 */
public interface WarrantKey {

    String keyId();

    SignatureAlgorithm algorithm();

    /** Whether this key holds what signing needs (an Ed25519 key loaded from a public key alone cannot sign). */
    boolean canSign();

    byte[] sign(byte[] message);

    /** Constant-time where the algorithm allows; {@code false} for a signature of the wrong length. */
    boolean verify(byte[] message, byte[] signature);
}
