package dev.magistrate.keys;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directory that holds warrant keys. Layout (one file per key, base64 text):
 * <pre>
 *   KEYID.hmac-sha256.key   HMAC secret, 32 bytes       owner read/write only
 *   KEYID.ed25519.key       Ed25519 private seed        owner read/write only
 *   KEYID.ed25519.pub       Ed25519 public key, 32 bytes (what other systems need)
 *   active                  which key id signs, per algorithm (hmac-sha256=..., ed25519=...)
 * </pre>
 * Every key in the directory verifies, so a new key can sign while warrants signed by the old one
 * are still honoured ({@link #rotate()}, then {@link #retire(String)} once they have expired).
 * Secrets stay in this class and the key objects: never logged, never in an exception message.
 */
public final class KeyDirectory {

    private static final Pattern KEY_FILE = Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.(hmac-sha256|ed25519)\\.(key|pub)");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ACTIVE = "active";

    private record Snapshot(Map<String, WarrantKey> byId, Map<SignatureAlgorithm, WarrantKey> signing) {
    }

    private final Path dir;
    private final Object writeLock = new Object();
    private volatile Snapshot keys;

    private KeyDirectory(Path dir, Snapshot keys) {
        this.dir = dir;
        this.keys = keys;
    }

    /** Opens the directory, creating it and one key per algorithm when it holds none. */
    public static KeyDirectory openOrCreate(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                restrict(dir, PosixFilePermissions.fromString("rwx------"));
            }
            if (scan(dir).byId().isEmpty()) {
                Map<SignatureAlgorithm, String> active = new EnumMap<>(SignatureAlgorithm.class);
                active.put(SignatureAlgorithm.HMAC_SHA256, generateHmac(dir));
                active.put(SignatureAlgorithm.ED25519, generateEd25519(dir));
                writeActive(dir, active);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
        return open(dir);
    }

    /** Opens an existing directory; a directory of public keys alone verifies but cannot sign. */
    public static KeyDirectory open(Path dir) {
        try {
            Snapshot s = scan(dir);
            if (s.byId().isEmpty()) throw new IllegalStateException("key directory " + dir + " holds no keys");
            return new KeyDirectory(dir, s);
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return dir;
    }

    /** The key that signs new warrants with this algorithm. */
    public WarrantKey signingKey(SignatureAlgorithm algorithm) {
        WarrantKey key = keys.signing().get(algorithm);
        if (key == null) throw new IllegalStateException("key directory " + dir + " has no " + algorithm.wireName() + " signing key");
        return key;
    }

    /** The key with exactly this id, or empty: callers must never fall back to another key. */
    public Optional<WarrantKey> key(String keyId) {
        return Optional.ofNullable(keys.byId().get(keyId));
    }

    public List<String> keyIds() {
        return List.copyOf(keys.byId().keySet());
    }

    /** Generates a new key per algorithm and makes them the signing keys; the old ones keep verifying. */
    public void rotate() {
        synchronized (writeLock) {
            try {
                Map<SignatureAlgorithm, String> active = new EnumMap<>(SignatureAlgorithm.class);
                active.put(SignatureAlgorithm.HMAC_SHA256, generateHmac(dir));
                active.put(SignatureAlgorithm.ED25519, generateEd25519(dir));
                writeActive(dir, active);
                keys = scan(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("key directory " + dir + ": rotation failed: " + e.getMessage(), e);
            }
        }
    }

    /** Deletes a key that no longer signs; warrants signed with it stop verifying (unknown key id). */
    public void retire(String keyId) {
        synchronized (writeLock) {
            if (keys.signing().values().stream().anyMatch(k -> k.keyId().equals(keyId))) {
                throw new IllegalStateException("key " + keyId + " still signs; rotate before retiring it");
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, keyId + ".*")) {
                for (Path f : files) Files.deleteIfExists(f);
                keys = scan(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("key directory " + dir + ": retiring " + keyId + " failed: " + e.getMessage(), e);
            }
        }
    }

    private static Snapshot scan(Path dir) throws IOException {
        Map<String, WarrantKey> byId = new LinkedHashMap<>();
        Map<String, byte[]> edPrivate = new LinkedHashMap<>();
        Map<String, byte[]> edPublic = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(files::add);
        }
        Collections.sort(files);
        for (Path f : files) {
            Matcher m = KEY_FILE.matcher(f.getFileName().toString());
            if (!m.matches()) continue;
            String id = m.group(1);
            boolean secret = m.group(3).equals("key");
            if (secret) requireOwnerOnly(f);
            byte[] bytes = readBase64(f);
            if (m.group(2).equals("hmac-sha256")) {
                if (!secret) throw new IllegalStateException(f + ": an HMAC key has no public part");
                byId.put(id, new HmacSha256Key(id, bytes));
            } else if (secret) {
                edPrivate.put(id, bytes);
            } else {
                edPublic.put(id, bytes);
            }
        }
        for (Map.Entry<String, byte[]> e : edPublic.entrySet()) {
            String id = e.getKey();
            if (e.getValue().length != 32) throw new IllegalStateException(dir.resolve(id + ".ed25519.pub") + ": an Ed25519 public key is 32 bytes");
            Ed25519PublicKeyParameters pub = new Ed25519PublicKeyParameters(e.getValue(), 0);
            Ed25519PrivateKeyParameters priv = null;
            byte[] seed = edPrivate.remove(id);
            if (seed != null) {
                if (seed.length != 32) throw new IllegalStateException(dir.resolve(id + ".ed25519.key") + ": an Ed25519 private key is 32 bytes");
                priv = new Ed25519PrivateKeyParameters(seed, 0);
                java.util.Arrays.fill(seed, (byte) 0);
                if (!MessageDigest.isEqual(priv.generatePublicKey().getEncoded(), pub.getEncoded())) {
                    throw new IllegalStateException(dir.resolve(id + ".ed25519.pub") + ": does not match its private key");
                }
            }
            byId.put(id, new Ed25519Key(id, priv, pub));
        }
        if (!edPrivate.isEmpty()) {
            throw new IllegalStateException("key directory " + dir + ": private keys without their .pub file: " + edPrivate.keySet());
        }
        Map<SignatureAlgorithm, WarrantKey> signing = new EnumMap<>(SignatureAlgorithm.class);
        Path activeFile = dir.resolve(ACTIVE);
        if (Files.exists(activeFile)) {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(activeFile, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            for (SignatureAlgorithm a : SignatureAlgorithm.values()) {
                String id = p.getProperty(a.fileTag());
                if (id == null) continue;
                WarrantKey k = byId.get(id);
                if (k == null || k.algorithm() != a || !k.canSign()) {
                    throw new IllegalStateException(activeFile + ": " + a.fileTag() + "=" + id + " names no " + a.wireName() + " key that can sign");
                }
                signing.put(a, k);
            }
        }
        return new Snapshot(Collections.unmodifiableMap(byId), Collections.unmodifiableMap(signing));
    }

    private static String generateHmac(Path dir) throws IOException {
        byte[] secret = new byte[HmacSha256Key.SECRET_BYTES];
        RANDOM.nextBytes(secret);
        byte[] idBytes = new byte[6];
        RANDOM.nextBytes(idBytes);
        String id = "hmac-" + HexFormat.of().formatHex(idBytes);
        writeKeyFile(dir.resolve(id + ".hmac-sha256.key"), secret, true);
        java.util.Arrays.fill(secret, (byte) 0);
        return id;
    }

    private static String generateEd25519(Path dir) throws IOException {
        Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(RANDOM);
        byte[] pub = priv.generatePublicKey().getEncoded();
        String id;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(pub);
            id = "ed25519-" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] seed = priv.getEncoded();
        writeKeyFile(dir.resolve(id + ".ed25519.key"), seed, true);
        java.util.Arrays.fill(seed, (byte) 0);
        writeKeyFile(dir.resolve(id + ".ed25519.pub"), pub, false);
        return id;
    }

    /** Written to a temporary file created owner-only, forced, then moved into place: no moment where a secret is readable by others or half written. */
    private static void writeKeyFile(Path target, byte[] bytes, boolean secret) throws IOException {
        Path dir = target.getParent();
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, ".tmp-", ".part", attrs);
        try {
            byte[] text = (Base64.getEncoder().encodeToString(bytes) + "\n").getBytes(StandardCharsets.US_ASCII);
            try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(text));
                ch.force(true);
            }
            if (!secret && posix) Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            if (Files.exists(target)) throw new FileAlreadyExistsException(target.toString());
            moveAtomically(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeActive(Path dir, Map<SignatureAlgorithm, String> active) throws IOException {
        StringBuilder sb = new StringBuilder("# key ids that sign new warrants; every key in this directory verifies\n");
        active.forEach((a, id) -> sb.append(a.fileTag()).append('=').append(id).append('\n'));
        Path tmp = Files.createTempFile(dir, ".tmp-", ".part");
        try {
            Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
            moveAtomically(tmp, dir.resolve(ACTIVE));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static byte[] readBase64(Path f) throws IOException {
        String text = Files.readString(f, StandardCharsets.US_ASCII).strip();
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            // No content in the message: this may be a secret.
            throw new IllegalStateException(f + ": not base64 key material");
        }
    }

    private static void requireOwnerOnly(Path f) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(f, PosixFileAttributeView.class);
        if (view == null) return;
        Set<PosixFilePermission> perms = view.readAttributes().permissions();
        for (PosixFilePermission p : perms) {
            if (!OWNER_ONLY.contains(p)) {
                throw new IllegalStateException(f + ": secret key readable by others (" + PosixFilePermissions.toString(perms)
                        + "); run chmod 600 on it");
            }
        }
    }

    private static void restrict(Path p, Set<PosixFilePermission> perms) throws IOException {
        if (Files.getFileAttributeView(p, PosixFileAttributeView.class) != null) Files.setPosixFilePermissions(p, perms);
    }

    @Override
    public String toString() {
        return "KeyDirectory[" + dir + ", keys " + keys.byId().keySet() + "]";
    }
}
