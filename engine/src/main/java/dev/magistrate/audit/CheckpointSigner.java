package dev.magistrate.audit;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Signs checkpoints as C2SP signed notes with an Ed25519 key: the checkpoint body, a blank line,
 * then {@code — <key name> <base64(key id || signature)>}. The private key stays in this object;
 * it is never logged, written to an entry or put in an exception.
 */
public final class CheckpointSigner implements CheckpointKeys {

    private final String keyName;
    private final Ed25519PrivateKeyParameters privateKey;
    private final CheckpointVerifier verifier;

    public CheckpointSigner(String keyName, Ed25519PrivateKeyParameters privateKey) {
        this.keyName = CheckpointVerifier.checkKeyName(keyName);
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.verifier = new CheckpointVerifier(keyName, privateKey.generatePublicKey().getEncoded());
    }

    /** From a raw 32-byte Ed25519 seed. */
    public static CheckpointSigner fromSeed(String keyName, byte[] seed) {
        if (seed == null || seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
        }
        return new CheckpointSigner(keyName, new Ed25519PrivateKeyParameters(seed, 0));
    }

    public String keyName() {
        return keyName;
    }

    /** This key signs every checkpoint: a log that never rotates its key. */
    @Override
    public CheckpointSigner signer() {
        return this;
    }

    /** The verifier for this key: all that someone checking the log needs. */
    @Override
    public CheckpointVerifier verifier() {
        return verifier;
    }

    /** The complete signed note for a checkpoint. */
    public String sign(Checkpoint checkpoint) {
        return signNote(checkpoint.body());
    }

    /** A signed note of any text of non-empty lines ending in a newline. */
    String signNote(String body) {
        if (!body.endsWith("\n") || body.contains("\n\n") || body.startsWith("\n")) {
            throw new IllegalArgumentException("note text must be non-empty lines, each ending in a newline");
        }
        byte[] text = body.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(text, 0, text.length);
        byte[] signature = signer.generateSignature();
        byte[] keyId = verifier.keyId();
        byte[] blob = new byte[keyId.length + signature.length];
        System.arraycopy(keyId, 0, blob, 0, keyId.length);
        System.arraycopy(signature, 0, blob, keyId.length, signature.length);
        return body + "\n" + CheckpointVerifier.SIGNATURE_PREFIX + keyName + " "
                + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    @Override
    public String toString() {
        return "CheckpointSigner[" + keyName + "]";
    }
}
