package dev.magistrate.audit;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Verifies C2SP signed-note checkpoints against a set of trusted Ed25519 public keys: one for a log
 * that never rotated its key, the current and every retired key for one that did. The key id is the
 * first four bytes of SHA-256(key name || 0x0A || 0x01 || public key), as the signed-note spec defines
 * for Ed25519. Signature lines of keys not trusted here are ignored; at least one line must be a valid
 * signature by a trusted key, and a line that claims a trusted key but does not verify is a forgery.
 */
public final class CheckpointVerifier {

    static final String SIGNATURE_PREFIX = "\u2014 ";
    private static final int MAX_NOTE_BYTES = 1 << 16;

    private record TrustedKey(String name, byte[] publicKey, byte[] keyId, Ed25519PublicKeyParameters key) {
    }

    private final List<TrustedKey> trusted;

    public CheckpointVerifier(String keyName, byte[] publicKey) {
        checkKeyName(keyName);
        if (publicKey == null || publicKey.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        ByteArrayOutputStream idInput = new ByteArrayOutputStream();
        idInput.writeBytes(keyName.getBytes(StandardCharsets.UTF_8));
        idInput.write(0x0A);
        idInput.write(0x01);
        idInput.writeBytes(publicKey);
        byte[] keyId = Arrays.copyOf(MerkleTree.sha256().digest(idInput.toByteArray()), 4);
        this.trusted = List.of(new TrustedKey(keyName, publicKey.clone(), keyId, new Ed25519PublicKeyParameters(publicKey, 0)));
    }

    private CheckpointVerifier(List<TrustedKey> trusted) {
        this.trusted = trusted;
    }

    /** A verifier that accepts a checkpoint signed by any of these keys (a log's current and retired keys). */
    public static CheckpointVerifier trusting(Collection<CheckpointVerifier> verifiers) {
        List<TrustedKey> all = new ArrayList<>();
        for (CheckpointVerifier v : verifiers) all.addAll(v.trusted);
        if (all.isEmpty()) throw new IllegalArgumentException("a checkpoint verifier needs at least one trusted key");
        return new CheckpointVerifier(List.copyOf(all));
    }

    static String checkKeyName(String keyName) {
        if (keyName == null || keyName.isEmpty() || keyName.contains("+")
                || keyName.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("key name must be non-empty, without spaces or '+'");
        }
        return keyName;
    }

    /** The trusted key names, comma-separated, for messages. */
    public String keyName() {
        return String.join(", ", trusted.stream().map(TrustedKey::name).toList());
    }

    public byte[] publicKey() {
        return single().publicKey().clone();
    }

    public byte[] keyId() {
        return single().keyId().clone();
    }

    /** The vkey string of the signed-note spec: {@code name+hex(keyid)+base64(0x01 || public key)}. */
    public String verifierKey() {
        return vkey(single());
    }

    /**
     * The verifier for a signed-note verifier key {@code name+hex(4-byte key id)+base64(0x01 || 32-byte key)}, as
     * {@link #verifierKey()} writes it.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static CheckpointVerifier fromVerifierKey(String vkey) {
        String[] parts = vkey == null ? new String[0] : vkey.strip().split("\\+", 3);
        if (parts.length != 3 || parts[1].length() != 8) throw new IllegalArgumentException("a verifier key is NAME+HEXID+BASE64, got something else");
        byte[] typed;
        try {
            typed = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key part of the verifier key is not base64");
        }
        if (typed.length != 33 || typed[0] != 1) throw new IllegalArgumentException("not an Ed25519 verifier key (type 0x01, 32 bytes)");
        CheckpointVerifier v = new CheckpointVerifier(parts[0], Arrays.copyOfRange(typed, 1, 33));
        if (!java.util.HexFormat.of().formatHex(v.keyId()).equals(parts[1])) {
            throw new IllegalArgumentException("the key id " + parts[1] + " does not belong to this name and key");
        }
        return v;
    }

    private static final java.util.regex.Pattern PUB_FILE = java.util.regex.Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.ed25519\\.pub");
    private static final java.util.regex.Pattern RAW_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9+/]{43}=");

    /**
     * A log public key as a file holds it: a {@code KEYID.ed25519.pub} file of the key directory's {@code log/} (the
     * base64 of 32 bytes; key name {@code magistrate-KEYID}, from the file's name), or a verifier key
     * {@code NAME+HEXID+BASE64}.
     *
     * @throws IllegalArgumentException saying what is wrong (the caller adds the file)
     */
    public static CheckpointVerifier fromKeyFile(String fileName, String text) {
        String t = text.strip();
        // Raw key files hold the 44-character base64 of 32 bytes (which may contain '+' itself).
        if (!RAW_KEY.matcher(t).matches()) return fromVerifierKey(t);
        java.util.regex.Matcher m = PUB_FILE.matcher(fileName);
        if (!m.matches()) {
            throw new IllegalArgumentException("a public key file is named KEYID.ed25519.pub (its key name is magistrate-KEYID),"
                    + " or holds a verifier key NAME+HEXID+BASE64");
        }
        return new CheckpointVerifier("magistrate-" + m.group(1), Base64.getDecoder().decode(t));
    }

    private static String vkey(TrustedKey k) {
        byte[] typed = new byte[33];
        typed[0] = 1;
        System.arraycopy(k.publicKey(), 0, typed, 1, 32);
        return k.name() + "+" + java.util.HexFormat.of().formatHex(k.keyId()) + "+" + Base64.getEncoder().encodeToString(typed);
    }

    private TrustedKey single() {
        if (trusted.size() != 1) throw new IllegalStateException("this verifier trusts " + trusted.size() + " keys: " + keyName());
        return trusted.get(0);
    }

    /**
     * Parses and verifies a signed note holding a checkpoint.
     *
     * @throws InvalidCheckpointException when the note is malformed or carries no valid signature by a trusted key
     */
    public Checkpoint verify(String note) throws InvalidCheckpointException {
        return verifySigned(note).checkpoint();
    }

    /** A verified checkpoint and the verifier key ({@code name+hex(keyid)+base64}) of the trusted key that signed it. */
    public record Signed(Checkpoint checkpoint, String signerKey) {

        /** The signing key's name, like {@code magistrate-KEYID}. */
        public String signerName() {
            return signerKey.substring(0, signerKey.indexOf('+'));
        }
    }

    /** As {@link #verify}, and says which trusted key signed: one signature check for both. */
    public Signed verifySigned(String note) throws InvalidCheckpointException {
        Verified v = verified(note);
        try {
            return new Signed(Checkpoint.parseBody(v.body()), vkey(v.by()));
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(e.getMessage());
        }
    }

    /** Verifies a signed note and returns its text (which ends in a newline). */
    String verifyNote(String note) throws InvalidCheckpointException {
        return verified(note).body();
    }

    private record Verified(String body, TrustedKey by) {
    }

    private Verified verified(String note) throws InvalidCheckpointException {
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
        TrustedKey signedBy = null;
        List<String> others = new ArrayList<>();
        for (String line : signatures.substring(0, signatures.length() - 1).split("\n", -1)) {
            if (!line.startsWith(SIGNATURE_PREFIX)) throw new InvalidCheckpointException("malformed signature line");
            String[] parts = line.substring(SIGNATURE_PREFIX.length()).split(" ", -1);
            if (parts.length != 2) throw new InvalidCheckpointException("malformed signature line");
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new InvalidCheckpointException("signature is not base64");
            }
            TrustedKey k = blob.length == 4 + 64 ? trustedKey(parts[0], Arrays.copyOf(blob, 4)) : null;
            if (k == null) {
                others.add(parts[0]);
                continue;
            }
            Ed25519Signer v = new Ed25519Signer();
            v.init(false, k.key());
            v.update(text, 0, text.length);
            if (!v.verifySignature(Arrays.copyOfRange(blob, 4, blob.length))) {
                throw new InvalidCheckpointException("checkpoint signature by " + k.name() + " does not verify");
            }
            if (signedBy == null) signedBy = k;
        }
        if (signedBy == null) {
            throw new InvalidCheckpointException("checkpoint carries no signature by a trusted key (trusted: " + keyName()
                    + (others.isEmpty() ? "" : "; signed by: " + String.join(", ", others)) + ")");
        }
        return new Verified(body, signedBy);
    }

    private TrustedKey trustedKey(String name, byte[] keyId) {
        for (TrustedKey k : trusted) {
            if (k.name().equals(name) && MessageDigest.isEqual(k.keyId(), keyId)) return k;
        }
        return null;
    }

    @Override
    public String toString() {
        return "CheckpointVerifier[" + keyName() + "]";
    }
}
