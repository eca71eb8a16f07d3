package dev.magistrate.keys;

import dev.magistrate.audit.CheckpointKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The key directory: one {@link KeySet} per {@link KeyPurpose}, each in its own subdirectory
 * ({@code warrant/}, {@code log/}) with its own ids, {@code active} file and rotation. Other files in
 * the directory (the console's file) are not keys and are left alone.
 * <p>
 * A directory written before keys had purposes holds its keys at the top level, and its one Ed25519
 * key signed both warrants and the audit log. Opening it moves those keys into {@code warrant/}
 * (warrants they signed keep verifying) and starts {@code log/} with a new key that signs from now
 * on, beside the old key's public half, so the log it signed keeps verifying.
 */
public final class KeyDirectory {

    private static final Pattern LEGACY_FILE = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}\\.(hmac-sha256|ed25519)\\.(key|pub)|" + KeySet.ACTIVE);

    private final Path dir;
    private final Map<KeyPurpose, KeySet> sets;

    private KeyDirectory(Path dir, Map<KeyPurpose, KeySet> sets) {
        this.dir = dir;
        this.sets = sets;
    }

    /** Opens the directory, creating it and the keys of every purpose that has none. */
    public static KeyDirectory openOrCreate(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                restrictToOwner(dir);
            }
            migrateLegacyLayout(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
        Map<KeyPurpose, KeySet> sets = new EnumMap<>(KeyPurpose.class);
        for (KeyPurpose p : KeyPurpose.values()) sets.put(p, KeySet.openOrCreate(p, dir.resolve(p.dirName())));
        return new KeyDirectory(dir, sets);
    }

    /** Opens an existing directory without creating keys; a purpose whose set is absent is absent here too. */
    public static KeyDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalStateException("no key directory at " + dir);
        if (holdsLegacyKeys(dir)) {
            throw new IllegalStateException("key directory " + dir + " holds keys from before key purposes (warrant/, log/);"
                    + " the agent moves them into warrant/ and log/ when it next starts with magistrate.keys.dir=" + dir);
        }
        Map<KeyPurpose, KeySet> sets = new EnumMap<>(KeyPurpose.class);
        for (KeyPurpose p : KeyPurpose.values()) {
            if (Files.isDirectory(dir.resolve(p.dirName()))) sets.put(p, KeySet.open(p, dir.resolve(p.dirName())));
        }
        if (sets.isEmpty()) throw new IllegalStateException("key directory " + dir + " holds no keys (no warrant/ or log/)");
        return new KeyDirectory(dir, sets);
    }

    public Path path() {
        return dir;
    }

    /** The keys of one purpose. */
    public KeySet keys(KeyPurpose purpose) {
        KeySet s = sets.get(purpose);
        if (s == null) throw new IllegalStateException("key directory " + dir + " has no " + purpose.dirName() + " keys");
        return s;
    }

    public KeySet warrantKeys() {
        return keys(KeyPurpose.WARRANT);
    }

    /** The audit log's checkpoint keys: the active one signs, every one in {@code log/} is trusted to have signed. */
    public CheckpointKeys logKeys() {
        return new LogKeys(keys(KeyPurpose.LOG));
    }

    /** Rotates the sets of these purposes (each on its own: ids, active key and retired keys apart). */
    public void rotate(KeyPurpose... purposes) {
        for (KeyPurpose p : purposes) keys(p).rotate();
    }

    private static boolean holdsLegacyKeys(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!name.equals(KeySet.ACTIVE) && LEGACY_FILE.matcher(name).matches()) return true;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("key directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void migrateLegacyLayout(Path dir) throws IOException {
        if (!holdsLegacyKeys(dir)) return;
        Path warrant = dir.resolve(KeyPurpose.WARRANT.dirName());
        Path log = dir.resolve(KeyPurpose.LOG.dirName());
        if (Files.exists(warrant) || Files.exists(log)) {
            throw new IllegalStateException("key directory " + dir + " holds keys both at its top level and in warrant/ or log/;"
                    + " move the top-level key files into warrant/ by hand");
        }
        Files.createDirectories(warrant);
        restrictToOwner(warrant);
        List<Path> legacyEd25519Public = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!LEGACY_FILE.matcher(name).matches()) continue;
                if (name.endsWith(".ed25519.pub")) legacyEd25519Public.add(warrant.resolve(name));
                Files.move(f, warrant.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        // The old Ed25519 key signed the existing log: its public half stays trusted for checkpoints.
        KeySet.openOrCreate(KeyPurpose.LOG, log);
        for (Path pub : legacyEd25519Public) Files.copy(pub, log.resolve(pub.getFileName()));
    }

    private static void restrictToOwner(Path p) throws IOException {
        if (Files.getFileAttributeView(p, PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Override
    public String toString() {
        return "KeyDirectory[" + dir + ", " + sets.values() + "]";
    }
}
