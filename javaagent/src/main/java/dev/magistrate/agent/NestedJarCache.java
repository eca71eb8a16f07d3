package dev.magistrate.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * Where the agent's nested jars are unpacked: a per-user cache directory keyed by the agent jar, so that
 * a start after the first unpacks nothing. Each start checks every cached jar against the size and CRC-32
 * that the agent jar records for it (native, about as fast as reading the files; a digest over 28 MB
 * would cost a cold JVM more than the unpacking it saves) and replaces any that differ. The key is a
 * 64-bit checksum over the nested jars' entries in the agent jar (name, size and CRC-32 of each): a changed
 * jar gets a fresh directory, and reading it costs nothing beyond the listing the unpacking needs anyway.
 *
 * <p>A cache directory is used only when the current user owns it and nobody else can write it (POSIX
 * owner and permissions, symbolic links refused); otherwise, and when the cache is turned off, the jars are
 * unpacked into a private temporary directory removed at exit, as before the cache existed. The cache
 * lives in {@code $XDG_CACHE_HOME/magistrate/agent} (default {@code ~/.cache/magistrate/agent}); the
 * setting {@code magistrate.agent.cache.dir} ({@code -D} or {@code MAGISTRATE_AGENT_CACHE_DIR}: it is read
 * before the configuration file) moves it, and the value {@code off} turns it off. The directory of a build
 * not started for {@link #UNUSED_FOR} is removed by the next start that uses the cache.
 */
final class NestedJarCache {

    static final String SETTING = "magistrate.agent.cache.dir";
    static final String ENVIRONMENT = "MAGISTRATE_AGENT_CACHE_DIR";
    /** Directories of other agent builds unused for this long are removed by the next start that uses the cache. */
    static final Duration UNUSED_FOR = Duration.ofDays(7);
    private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private NestedJarCache() {
    }

    /** A nested jar as the agent jar records it. */
    record Nested(JarEntry entry, String fileName) {
    }

    /**
     * The nested jars of {@code agentJar} on disk, in the cache under {@code root} when it is safe to use,
     * else in a new private temporary directory; {@code root} null means the cache is off.
     */
    static Path unpack(JarFile agentJar, List<Nested> nested, Path root) throws IOException {
        if (root != null) {
            try {
                Path dir = root.resolve(key(nested));
                ensurePrivateDirectory(root);
                ensurePrivateDirectory(dir);
                for (Nested n : nested) {
                    Path file = dir.resolve(n.fileName());
                    if (!matches(file, n.entry())) copyAtomically(agentJar, n.entry(), file);
                }
                markUsedAndPrune(root, dir);
                return dir;
            } catch (IOException | SecurityException | UnsupportedOperationException e) {
                System.err.println("[magistrate] WARN the agent's jar cache in " + root + " is not used (" + e.getMessage()
                        + "); unpacking into a private temporary directory");
            }
        }
        Path dir = Files.createTempDirectory("magistrate-agent-");
        // Deleted after every shutdown hook has run, so that the agent's own hooks can still load classes.
        dir.toFile().deleteOnExit();
        for (Nested n : nested) {
            Path target = dir.resolve(n.fileName());
            try (InputStream in = agentJar.getInputStream(n.entry())) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            target.toFile().deleteOnExit();
        }
        return dir;
    }

    /**
     * Marks {@code current} as used now and removes the directories of other agent builds not used for {@link #UNUSED_FOR}:
     * every rebuilt agent jar gets a directory of its own, and without this they would pile up. Best effort: a directory
     * that cannot be removed only costs disk. A JVM still running an old build keeps its open jars (POSIX unlink).
     */
    static void markUsedAndPrune(Path root, Path current) {
        try {
            Files.setLastModifiedTime(current, FileTime.fromMillis(System.currentTimeMillis()));
            long cutoff = System.currentTimeMillis() - UNUSED_FOR.toMillis();
            // 16 hex digits; agents before 2026-12-01 used 32.
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, d -> d.getFileName().toString().matches("[0-9a-f]{16}|[0-9a-f]{32}"))) {
                for (Path d : dirs) {
                    if (d.equals(current) || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
                    if (Files.getLastModifiedTime(d, LinkOption.NOFOLLOW_LINKS).toMillis() >= cutoff) continue;
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                        for (Path f : files) Files.deleteIfExists(f); // flat: jars and .part files, never followed links
                    }
                    Files.deleteIfExists(d);
                }
            }
        } catch (IOException | SecurityException e) {
            System.err.println("[magistrate] WARN old agent builds in the jar cache " + root + " could not be removed: " + e.getMessage());
        }
    }

    /** The cache's root from the setting, the environment or the platform's default; null when turned off. */
    static Path root(Map<Object, Object> properties, Map<String, String> env) {
        Object set = properties.get(SETTING);
        String value = set != null ? set.toString() : env.get(ENVIRONMENT);
        if (value != null && !value.isBlank()) return value.strip().equals("off") ? null : Path.of(value.strip()).toAbsolutePath();
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(String.valueOf(properties.get("user.home")), ".cache");
        return base.toAbsolutePath().resolve("magistrate").resolve("agent");
    }

    /**
     * CRC-32C and CRC-32 (64 bits, 16 hex digits) over every nested jar's name, size and CRC-32: what the cache holds,
     * without reading its content. The key only tells builds apart, since every start checks each cached jar against the
     * agent jar's own size and CRC-32 of it; a SHA-256 would first initialise the JDK's security providers, about 30 ms
     * of a cold start (the start-up row's budget is 400). Built without string concatenation, whose first use in a cold
     * JVM bootstraps method handles.
     */
    static String key(List<Nested> nested) {
        CRC32C c = new CRC32C();
        CRC32 d = new CRC32();
        ByteBuffer sizeAndCrc = ByteBuffer.allocate(1 + 2 * Long.BYTES);
        for (Nested n : nested) {
            byte[] name = n.entry().getName().getBytes(StandardCharsets.UTF_8);
            byte[] numbers = sizeAndCrc.clear().put((byte) 0).putLong(n.entry().getSize()).putLong(n.entry().getCrc()).array();
            c.update(name);
            c.update(numbers);
            d.update(name);
            d.update(numbers);
        }
        return HexFormat.of().toHexDigits((c.getValue() << 32) | d.getValue());
    }

    /** Creates {@code dir} owner-only if missing; refuses one that is a link, someone else's, or writable by others. */
    static void ensurePrivateDirectory(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // Another JVM created it at the same moment: checked below like any existing directory.
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw new IOException(dir + " is not a directory (or is a symbolic link)");
        checkPrivate(dir);
    }

    private static void checkPrivate(Path path) throws IOException {
        int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        long self = currentUid();
        if (owner != self) throw new IOException(path + " belongs to uid " + owner + ", not to this user (uid " + self + ")");
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        if (permissions.stream().anyMatch(OTHERS_WRITE::contains)) {
            throw new IOException(path + " can be written by others (" + PosixFilePermissions.toString(permissions) + ")");
        }
    }

    private static long currentUid() throws IOException {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid();
        } catch (LinkageError e) {
            throw new IOException("cannot tell this process's user id: " + e);
        }
    }

    /** Whether {@code file} is a private regular file with the size and CRC-32 the agent jar records for {@code entry}. */
    static boolean matches(Path file, JarEntry entry) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return false;
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) throw new IOException(file + " is not a regular file (or is a symbolic link)");
        checkPrivate(file);
        if (Files.size(file) != entry.getSize()) return false;
        CRC32 crc = new CRC32();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) crc.update(buffer, 0, n);
        }
        return crc.getValue() == entry.getCrc();
    }

    /** Written beside and renamed into place: another JVM never sees half a jar, and one still reading the old file keeps it. */
    private static void copyAtomically(JarFile agentJar, JarEntry entry, Path target) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try {
            try (InputStream in = agentJar.getInputStream(entry)) {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The nested jars in {@code agentJar}'s {@code lib} and {@code boot} folders. */
    static List<Nested> nestedJars(JarFile agentJar, String... folders) {
        List<Nested> out = new ArrayList<>();
        Enumeration<JarEntry> entries = agentJar.entries();
        while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            String name = e.getName();
            if (!name.endsWith(".jar")) continue;
            for (String folder : folders) {
                if (name.startsWith(folder) && name.indexOf('/', folder.length()) < 0) out.add(new Nested(e, name.substring(folder.length())));
            }
        }
        return out;
    }

    static File file(Path dir, Nested n) {
        return dir.resolve(n.fileName()).toFile();
    }
}
