package dev.magistrate.cli;

import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.WarrantKey;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the audit log's public key comes from. Checking a log needs only the 32-byte Ed25519 public
 * key and its note key name; the agent names its checkpoint key {@code magistrate-KEYID} after the
 * key directory's active Ed25519 key.
 * <ul>
 *   <li>{@code --public-key FILE}: a {@code KEYID.ed25519.pub} file (key name {@code magistrate-KEYID}),
 *       or a file holding a signed-note verifier key {@code NAME+HEXID+BASE64}, as {@code keys generate}
 *       prints it. The strongest choice when the file was copied off the machine that writes the log.</li>
 *   <li>{@code --keys DIR}: a key directory; the {@code checkpoint} file in the audit directory names the
 *       key ({@code — magistrate-KEYID ...}) and only {@code KEYID.ed25519.pub} is read from DIR. This
 *       trusts whatever public keys DIR holds: someone who can write there can plant a key of their own.</li>
 * </ul>
 */
final class LogKeyOptions {

    static final String KEY_NAME_PREFIX = "magistrate-";
    private static final Pattern PUB_FILE = Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.ed25519\\.pub");
    private static final Pattern RAW_KEY = Pattern.compile("[A-Za-z0-9+/]{43}=");
    private static final Pattern SIGNATURE_LINE = Pattern.compile("\u2014 (\\S+) \\S+");

    @Option(names = "--public-key", paramLabel = "FILE",
            description = {"the log's public key: KEYID.ed25519.pub from the agent's key directory (key name magistrate-KEYID),",
                    "or a file holding the verifier key NAME+HEXID+BASE64 that 'keys generate' prints"})
    Path publicKey;

    @Option(names = "--keys", paramLabel = "DIR",
            description = {"a key directory: the key named in the audit directory's checkpoint file is taken from it",
                    "(only its .ed25519.pub is used; this trusts every public key in DIR)"})
    Path keysDir;

    /** The verifier for the log in {@code auditDir}; exactly one of the two options must have been given. */
    CheckpointVerifier verifier(Path auditDir) {
        if ((publicKey == null) == (keysDir == null)) {
            throw new CliException("give the log's public key: --public-key KEYID.ed25519.pub, or --keys KEYDIR (not both)");
        }
        return publicKey != null ? fromFile(publicKey) : fromKeyDirectory(keysDir, auditDir);
    }

    /** A description of where the key came from, for output. */
    String source() {
        return publicKey != null ? publicKey.toString() : keysDir.toString();
    }

    static CheckpointVerifier fromFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CliException("cannot read public key " + file + ": " + e);
        }
        // Raw key files hold the 44-character base64 of 32 bytes (which may contain '+' itself).
        if (!RAW_KEY.matcher(text).matches()) return fromVerifierKey(file, text);
        Matcher m = PUB_FILE.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new CliException(file + ": a public key file is named KEYID.ed25519.pub (its key name is magistrate-KEYID),"
                    + " or holds a verifier key NAME+HEXID+BASE64");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": not base64");
        }
        if (key.length != 32) throw new CliException(file + ": an Ed25519 public key is 32 bytes, this file holds " + key.length);
        return new CheckpointVerifier(KEY_NAME_PREFIX + m.group(1), key);
    }

    /** The signed-note verifier key form: {@code name+hex(4-byte key id)+base64(0x01 || 32-byte key)}. */
    private static CheckpointVerifier fromVerifierKey(Path file, String vkey) {
        String[] parts = vkey.split("\\+", 3);
        if (parts.length != 3 || parts[1].length() != 8) {
            throw new CliException(file + ": a verifier key is NAME+HEXID+BASE64, got something else");
        }
        byte[] typed;
        try {
            typed = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": the key part of the verifier key is not base64");
        }
        if (typed.length != 33 || typed[0] != 1) throw new CliException(file + ": not an Ed25519 verifier key (type 0x01, 32 bytes)");
        CheckpointVerifier v;
        try {
            v = new CheckpointVerifier(parts[0], java.util.Arrays.copyOfRange(typed, 1, 33));
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
        if (!HexFormat.of().formatHex(v.keyId()).equals(parts[1])) {
            throw new CliException(file + ": the key id " + parts[1] + " does not belong to this name and key");
        }
        return v;
    }

    private static CheckpointVerifier fromKeyDirectory(Path keysDir, Path auditDir) {
        if (!Files.isDirectory(keysDir)) throw new CliException("no key directory at " + keysDir);
        KeyDirectory keys;
        try {
            keys = KeyDirectory.open(keysDir);
        } catch (RuntimeException e) {
            throw new CliException("cannot open key directory " + keysDir + ": " + e.getMessage());
        }
        List<String> named = checkpointKeyNames(auditDir);
        for (String name : named) {
            if (!name.startsWith(KEY_NAME_PREFIX)) continue;
            Optional<WarrantKey> k = keys.key(name.substring(KEY_NAME_PREFIX.length()));
            if (k.isPresent() && k.get() instanceof Ed25519Key ed) return new CheckpointVerifier(name, ed.publicKeyBytes());
        }
        // No usable name (no checkpoint file, or it names a key DIR does not hold, as a forged one would):
        // with a single Ed25519 key in DIR that key is the log's, and the verifier judges the checkpoint.
        List<Ed25519Key> all = new ArrayList<>();
        for (String id : keys.keyIds()) keys.key(id).filter(Ed25519Key.class::isInstance).map(Ed25519Key.class::cast).ifPresent(all::add);
        if (all.size() == 1) return new CheckpointVerifier(KEY_NAME_PREFIX + all.get(0).keyId(), all.get(0).publicKeyBytes());
        throw new CliException((named.isEmpty() ? auditDir + " has no checkpoint file naming its key"
                : "the checkpoint file in " + auditDir + " is signed by " + String.join(", ", named) + ", which " + keysDir + " does not hold")
                + ", and " + keysDir + " holds " + all.size() + " Ed25519 keys; give --public-key");
    }

    /** The key names on the signature lines of the audit directory's checkpoint file (none if it is absent). */
    private static List<String> checkpointKeyNames(Path auditDir) {
        Path file = auditDir.resolve(AuditLogVerifier.CHECKPOINT_FILE);
        List<String> names = new ArrayList<>();
        if (!Files.isRegularFile(file)) return names;
        String note;
        try {
            note = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e);
        }
        int split = note.indexOf("\n\n");
        if (split < 0) return names;
        for (String line : note.substring(split + 2).split("\n")) {
            Matcher m = SIGNATURE_LINE.matcher(line);
            if (m.matches()) names.add(m.group(1));
        }
        return names;
    }
}
