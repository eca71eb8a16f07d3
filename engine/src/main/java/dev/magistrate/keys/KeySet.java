package dev.magistrate.keys;

import dev.magistrate.log.MagistrateLog;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The keys of one {@link KeyPurpose}, in their own directory (one file per key, base64 text):
 * <pre>
 *   KEYID.hmac-sha256.key   HMAC secret, 32 bytes       owner read/write only
 *   KEYID.ed25519.key       Ed25519 private seed        owner read/write only
 *   KEYID.ed25519.pub       Ed25519 public key, 32 bytes (what other systems need)
 *   active                  which key id signs, per algorithm (hmac-sha256=..., ed25519=...)
 * </pre>
 * Every key in the set verifies, so a new key can sign while what the old one signed is still
 * honoured ({@link #rotate()}, then {@link #retire(String)} once nothing it signed matters). A
 * rotation by another process (the command line) is picked up within {@link #REFRESH_INTERVAL_NANOS}:
 * the set re-reads its directory when its {@code active} file changed. Secrets stay in this class
 * and the key objects: never logged, never in an exception message.
 */
public final class KeySet {

    /** How often a running process looks for a rotation made by another one. */
    static final long REFRESH_INTERVAL_NANOS = 1_000_000_000L;
    private static final Pattern KEY_FILE = Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.(hmac-sha256|ed25519)\\.(key|pub)");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String ACTIVE = "active";

    private record Snapshot(Map<String, WarrantKey> byId, Map<SignatureAlgorithm, WarrantKey> signing, FileTime activeChanged) {
    }

    private final KeyPurpose purpose;
    private final Path dir;
    /** A set of public keys pinned from a file ({@link #pinned}): nothing on disk to re-read, nothing to rotate. */
    private final boolean pinned;
    private final Object writeLock = new Object();
    private volatile Snapshot keys;
    private volatile long nextRefreshNanos;

    private KeySet(KeyPurpose purpose, Path dir, Snapshot keys) {
        this(purpose, dir, keys, false);
    }

    private KeySet(KeyPurpose purpose, Path dir, Snapshot keys, boolean pinned) {
        this.purpose = purpose;
        this.dir = dir;
        this.pinned = pinned;
        this.keys = keys;
        this.nextRefreshNanos = System.nanoTime() + REFRESH_INTERVAL_NANOS;
    }

    /** Opens the set's directory, creating it and one key per algorithm of the purpose when it holds none. */
    static KeySet openOrCreate(KeyPurpose purpose, Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                restrict(dir, PosixFilePermissions.fromString("rwx------"));
            }
            if (scan(dir).byId().isEmpty()) {
                Map<SignatureAlgorithm, String> active = new EnumMap<>(SignatureAlgorithm.class);
                for (SignatureAlgorithm a : purpose.algorithms()) active.put(a, generate(purpose, a, dir));
                writeActive(dir, active);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
        return open(purpose, dir);
    }

    /** Opens an existing set; a set of public keys alone verifies but cannot sign. */
    public static KeySet open(KeyPurpose purpose, Path dir) {
        try {
            Snapshot s = scan(dir);
            if (s.byId().isEmpty()) throw new IllegalStateException("key directory " + dir + " holds no keys");
            for (WarrantKey k : s.byId().values()) {
                if (!purpose.algorithms().contains(k.algorithm())) {
                    throw new IllegalStateException("key directory " + dir + ": " + k.keyId() + " is " + k.algorithm().wireName()
                            + ", which " + purpose.dirName() + " keys never use");
                }
            }
            return new KeySet(purpose, dir, s);
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Another system's Ed25519 public keys, by key id, as pinned in {@code source} (such as the fleet service's warrant keys):
     * a set that verifies and never signs, and is never re-read.
     */
    public static KeySet pinned(KeyPurpose purpose, Path source, Map<String, byte[]> ed25519PublicKeys) {
        if (ed25519PublicKeys.isEmpty()) throw new IllegalArgumentException(source + " holds no keys");
        if (!purpose.algorithms().contains(SignatureAlgorithm.ED25519)) throw new IllegalArgumentException(purpose + " keys are never Ed25519");
        Map<String, WarrantKey> byId = new LinkedHashMap<>();
        ed25519PublicKeys.forEach((id, bytes) -> {
            if (!KEY_ID.matcher(id).matches()) throw new IllegalArgumentException(source + ": key id '" + id + "' is not 1 to 64 of [a-z0-9-]");
            if (bytes.length != 32) throw new IllegalArgumentException(source + ": key '" + id + "' is not a 32-byte Ed25519 public key");
            byId.put(id, new Ed25519Key(id, null, new Ed25519PublicKeyParameters(bytes, 0)));
        });
        return new KeySet(purpose, source, new Snapshot(Map.copyOf(byId), Map.of(), null), true);
    }

    public KeyPurpose purpose() {
        return purpose;
    }

    public Path path() {
        return dir;
    }

    /** The key that signs with this algorithm now. */
    public WarrantKey signingKey(SignatureAlgorithm algorithm) {
        WarrantKey key = current().signing().get(algorithm);
        if (key == null) throw new IllegalStateException("key directory " + dir + " has no " + algorithm.wireName() + " signing key");
        return key;
    }

    /** The key with exactly this id, or empty: callers must never fall back to another key. */
    public Optional<WarrantKey> key(String keyId) {
        return Optional.ofNullable(current().byId().get(keyId));
    }

    public List<String> keyIds() {
        return List.copyOf(current().byId().keySet());
    }

    /** Every key of this algorithm, signing or retired. */
    public List<WarrantKey> keys(SignatureAlgorithm algorithm) {
        return current().byId().values().stream().filter(k -> k.algorithm() == algorithm).toList();
    }

    /**
     * Generates a new key per algorithm and makes them the signing keys; the old ones keep verifying.
     * For {@link KeyPurpose#LOG} the old private keys are deleted: a retired log key never signs again,
     * its public half keeps every checkpoint it signed verifiable.
     */
    public void rotate() {
        synchronized (writeLock) {
            try {
                Snapshot before = scan(dir);
                Map<SignatureAlgorithm, String> active = new EnumMap<>(SignatureAlgorithm.class);
                for (SignatureAlgorithm a : purpose.algorithms()) active.put(a, generate(purpose, a, dir));
                writeActive(dir, active);
                if (purpose == KeyPurpose.LOG) {
                    for (WarrantKey old : before.signing().values()) Files.deleteIfExists(dir.resolve(old.keyId() + ".ed25519.key"));
                }
                keys = scan(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("key directory " + dir + ": rotation failed: " + e.getMessage(), e);
            }
        }
    }

    /** Deletes a key that no longer signs; what it signed stops verifying (unknown key id). */
    public void retire(String keyId) {
        synchronized (writeLock) {
            if (current().signing().values().stream().anyMatch(k -> k.keyId().equals(keyId))) {
                throw new IllegalStateException("key " + keyId + " still signs; rotate before retiring it");
            }
            if (!KEY_ID.matcher(keyId).matches() || !current().byId().containsKey(keyId)) {
                throw new IllegalStateException("no " + purpose.dirName() + " key " + keyId + " in " + dir);
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, keyId + ".*")) {
                for (Path f : files) Files.deleteIfExists(f);
                keys = scan(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("key directory " + dir + ": retiring " + keyId + " failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The current snapshot, re-read at most once a second when the {@code active} file changed (a
     * rotation by another process). A directory caught half-written keeps the previous snapshot until
     * the next look: a running process never loses the keys it had.
     */
    private Snapshot current() {
        Snapshot s = keys;
        if (pinned) return s;
        long now = System.nanoTime();
        if (now - nextRefreshNanos < 0) return s;
        nextRefreshNanos = now + REFRESH_INTERVAL_NANOS;
        synchronized (writeLock) {
            try {
                if (activeChanged(dir).equals(keys.activeChanged())) return keys;
                keys = scan(dir);
            } catch (IOException | RuntimeException e) {
                MagistrateLog.warn(KeySet.class, "key directory " + dir + " could not be re-read after a change ("
                        + e.getMessage() + "); signing with the keys loaded before", null);
            }
            return keys;
        }
    }

    private static final Pattern KEY_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

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
                Arrays.fill(seed, (byte) 0);
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
        FileTime activeChanged = activeChanged(dir);
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
        return new Snapshot(Collections.unmodifiableMap(byId), Collections.unmodifiableMap(signing), activeChanged);
    }

    private static String generate(KeyPurpose purpose, SignatureAlgorithm algorithm, Path dir) throws IOException {
        return switch (algorithm) {
            case HMAC_SHA256 -> generateHmac(purpose, dir);
            case ED25519 -> generateEd25519(purpose, dir);
        };
    }

    private static String generateHmac(KeyPurpose purpose, Path dir) throws IOException {
        byte[] secret = new byte[HmacSha256Key.SECRET_BYTES];
        RANDOM.nextBytes(secret);
        byte[] idBytes = new byte[6];
        RANDOM.nextBytes(idBytes);
        String id = purpose.idPrefix() + "hmac-" + HexFormat.of().formatHex(idBytes);
        writeKeyFile(dir.resolve(id + ".hmac-sha256.key"), secret, true);
        Arrays.fill(secret, (byte) 0);
        return id;
    }

    private static String generateEd25519(KeyPurpose purpose, Path dir) throws IOException {
        Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(RANDOM);
        byte[] pub = priv.generatePublicKey().getEncoded();
        String id;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(pub);
            id = purpose.idPrefix() + "ed25519-" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        // The public half first: a reader never sees a private key without its .pub.
        writeKeyFile(dir.resolve(id + ".ed25519.pub"), pub, false);
        byte[] seed = priv.getEncoded();
        writeKeyFile(dir.resolve(id + ".ed25519.key"), seed, true);
        Arrays.fill(seed, (byte) 0);
        return id;
    }

    private static FileTime activeChanged(Path dir) throws IOException {
        Path f = dir.resolve(ACTIVE);
        return Files.exists(f) ? Files.getLastModifiedTime(f) : FileTime.fromMillis(0);
    }

    /** Written to a temporary file created owner-only, forced, then moved into place: no moment where a secret is readable by others or half written. */
    private static void writeKeyFile(Path target, byte[] bytes, boolean secret) throws IOException {
        Path dir = target.getParent();
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, ".tmp-", ".part", attrs);
        try {
            byte[] text = (Base64.getEncoder().encodeToString(bytes) + "\n").getBytes(StandardCharsets.US_ASCII);
            try (var ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(text));
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
        StringBuilder sb = new StringBuilder("# key ids that sign now, per algorithm; every key in this directory verifies\n");
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
        return "KeySet[" + purpose.dirName() + ", " + dir + ", keys " + keys.byId().keySet() + "]";
    }
}
