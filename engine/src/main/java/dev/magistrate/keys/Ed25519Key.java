package dev.magistrate.keys;

import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.CheckpointVerifier;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Ed25519 (RFC 8032, pure, no context) through BouncyCastle's low-level API: about 30 µs to sign,
 * where the JDK provider takes about 470 µs. Stateless, so one instance serves every thread.
 */
public final class Ed25519Key implements WarrantKey {

    static final int SIGNATURE_BYTES = 64;

    private final String keyId;
    private final Ed25519PrivateKeyParameters privateKey;
    private final Ed25519PublicKeyParameters publicKey;

    Ed25519Key(String keyId, Ed25519PrivateKeyParameters privateKey, Ed25519PublicKeyParameters publicKey) {
        this.keyId = keyId;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    @Override public String keyId() { return keyId; }

    @Override public SignatureAlgorithm algorithm() { return SignatureAlgorithm.ED25519; }

    @Override public boolean canSign() { return privateKey != null; }

    /** The raw 32-byte public key, which is all another system needs to verify. */
    public byte[] publicKeyBytes() {
        return publicKey.getEncoded();
    }

    @Override
    public byte[] sign(byte[] message) {
        if (privateKey == null) throw new IllegalStateException("Ed25519 key " + keyId + " holds only the public key");
        byte[] signature = new byte[SIGNATURE_BYTES];
        privateKey.sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
        return signature;
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_BYTES) return false;
        return publicKey.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
    }

    /** A signer of audit checkpoints with this key; the checkpoint's key name is {@code magistrate-KEYID}. */
    public CheckpointSigner checkpointSigner() {
        if (privateKey == null) throw new IllegalStateException("Ed25519 key " + keyId + " holds only the public key");
        return new CheckpointSigner(LogKeys.KEY_NAME_PREFIX + keyId, privateKey);
    }

    /** A verifier of checkpoints signed with this key (public half only). */
    public CheckpointVerifier checkpointVerifier() {
        return new CheckpointVerifier(LogKeys.KEY_NAME_PREFIX + keyId, publicKey.getEncoded());
    }

    @Override
    public String toString() {
        return "Ed25519Key[" + keyId + (privateKey == null ? ", public only" : "") + "]";
    }
}
