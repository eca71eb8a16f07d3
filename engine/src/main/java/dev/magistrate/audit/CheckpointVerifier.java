package dev.magistrate.audit;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * Verifies C2SP signed-note checkpoints against one Ed25519 public key. The key id is the first four
 * bytes of SHA-256(key name || 0x0A || 0x01 || public key), as the signed-note spec defines for
 * Ed25519. Signature lines of other keys are ignored; at least one line must be a valid signature by
 * this key.
 */
public final class CheckpointVerifier {

    static final String SIGNATURE_PREFIX = "\u2014 ";
    private static final int MAX_NOTE_BYTES = 1 << 16;

    private final String keyName;
    private final byte[] publicKey;
    private final byte[] keyId;
    private final Ed25519PublicKeyParameters key;

    public CheckpointVerifier(String keyName, byte[] publicKey) {
        this.keyName = checkKeyName(keyName);
        if (publicKey == null || publicKey.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        this.publicKey = publicKey.clone();
        this.key = new Ed25519PublicKeyParameters(publicKey, 0);
        ByteArrayOutputStream idInput = new ByteArrayOutputStream();
        idInput.writeBytes(keyName.getBytes(StandardCharsets.UTF_8));
        idInput.write(0x0A);
        idInput.write(0x01);
        idInput.writeBytes(publicKey);
        this.keyId = Arrays.copyOf(MerkleTree.sha256().digest(idInput.toByteArray()), 4);
    }

    static String checkKeyName(String keyName) {
        if (keyName == null || keyName.isEmpty() || keyName.contains("+")
                || keyName.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("key name must be non-empty, without spaces or '+'");
        }
        return keyName;
    }

    public String keyName() {
        return keyName;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public byte[] keyId() {
        return keyId.clone();
    }

    /** The vkey string of the signed-note spec: {@code name+hex(keyid)+base64(0x01 || public key)}. */
    public String verifierKey() {
        byte[] typed = new byte[33];
        typed[0] = 1;
        System.arraycopy(publicKey, 0, typed, 1, 32);
        return keyName + "+" + java.util.HexFormat.of().formatHex(keyId) + "+" + Base64.getEncoder().encodeToString(typed);
    }

    /**
     * Parses and verifies a signed note holding a checkpoint.
     *
     * @throws InvalidCheckpointException when the note is malformed or carries no valid signature by this key
     */
    public Checkpoint verify(String note) throws InvalidCheckpointException {
        String body = verifyNote(note);
        try {
            return Checkpoint.parseBody(body);
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(e.getMessage());
        }
    }

    /** Verifies a signed note and returns its text (which ends in a newline). */
    String verifyNote(String note) throws InvalidCheckpointException {
        if (note == null) throw new InvalidCheckpointException("no checkpoint");
        byte[] all = note.getBytes(StandardCharsets.UTF_8);
        if (all.length > MAX_NOTE_BYTES) throw new InvalidCheckpointException("checkpoint note is too large");
        int split = note.indexOf("\n\n");
        if (split < 0) throw new InvalidCheckpointException("checkpoint note has no blank line before its signatures");
        String body = note.substring(0, split + 1);
        String signatures = note.substring(split + 2);
        if (signatures.isEmpty() || !signatures.endsWith("\n")) {
            throw new InvalidCheckpointException("checkpoint note has no complete signature line");
        }
        byte[] text = body.getBytes(StandardCharsets.UTF_8);
        boolean signedByUs = false;
        for (String line : signatures.substring(0, signatures.length() - 1).split("\n", -1)) {
            if (!line.startsWith(SIGNATURE_PREFIX)) throw new InvalidCheckpointException("malformed signature line");
            String[] parts = line.substring(SIGNATURE_PREFIX.length()).split(" ", -1);
            if (parts.length != 2) throw new InvalidCheckpointException("malformed signature line");
            if (!parts[0].equals(keyName)) continue;
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new InvalidCheckpointException("signature is not base64");
            }
            if (blob.length != 4 + 64 || !MessageDigest.isEqual(Arrays.copyOf(blob, 4), keyId)) continue;
            Ed25519Signer v = new Ed25519Signer();
            v.init(false, key);
            v.update(text, 0, text.length);
            if (!v.verifySignature(Arrays.copyOfRange(blob, 4, blob.length))) {
                throw new InvalidCheckpointException("checkpoint signature by " + keyName + " does not verify");
            }
            signedByUs = true;
        }
        if (!signedByUs) throw new InvalidCheckpointException("checkpoint carries no signature by key " + keyName);
        return body;
    }

    @Override
    public String toString() {
        return "CheckpointVerifier[" + verifierKey() + "]";
    }
}
