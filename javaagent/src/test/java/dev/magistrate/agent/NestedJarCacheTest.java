package dev.magistrate.agent;

import dev.magistrate.agent.internal.AgentConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's nested jars are unpacked once per user and agent jar, checked at every start, and never taken from a directory others control. */
class NestedJarCacheTest {

    private static final byte[] LIB_JAR = "the lib jar's bytes".repeat(100).getBytes();
    private static final byte[] BOOT_JAR = "the boot jar's bytes".getBytes();

    @TempDir
    Path dir;
    Path agentJar;
    Path root;

    @BeforeEach
    void writeAgentJar() throws IOException {
        agentJar = dir.resolve("agent.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(agentJar))) {
            put(out, AgentClassLoader.LIB + "tools.jar", LIB_JAR);
            put(out, AgentClassLoader.BOOT + "bridge.jar", BOOT_JAR);
            put(out, AgentClassLoader.LIB + "nested/ignored.jar", BOOT_JAR);
        }
        root = dir.resolve("cache");
    }

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    private Path unpack(Path cacheRoot) throws IOException {
        try (JarFile jar = new JarFile(agentJar.toFile())) {
            return NestedJarCache.unpack(jar, NestedJarCache.nestedJars(jar, AgentClassLoader.LIB, AgentClassLoader.BOOT), cacheRoot);
        }
    }

    @Test
    void theSecondStartFindsTheJarsUnpackedByTheFirstAndRewritesNothing() throws Exception {
        Path first = unpack(root);
        assertTrue(first.startsWith(root), first.toString());
        assertArrayEquals(LIB_JAR, Files.readAllBytes(first.resolve("tools.jar")));
        assertArrayEquals(BOOT_JAR, Files.readAllBytes(first.resolve("bridge.jar")));
        assertFalse(Files.exists(first.resolve("ignored.jar")), "only the jars directly in lib/ and boot/");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
        Object inode = Files.getAttribute(first.resolve("tools.jar"), "unix:ino");
        Path second = unpack(root);
        assertEquals(first, second);
        assertEquals(inode, Files.getAttribute(second.resolve("tools.jar"), "unix:ino"), "an intact cached jar is not written again");
    }

    @Test
    void aTamperedCachedJarIsDetectedAndReplaced() throws Exception {
        Path cached = unpack(root).resolve("tools.jar");
        byte[] tampered = LIB_JAR.clone();
        tampered[7] ^= 1; // same size: only the checksum tells
        Files.write(cached, tampered);
        Path again = unpack(root);
        assertArrayEquals(LIB_JAR, Files.readAllBytes(again.resolve("tools.jar")));
        Files.write(cached, "shorter".getBytes());
        assertArrayEquals(LIB_JAR, Files.readAllBytes(unpack(root).resolve("tools.jar")));
    }

    @Test
    void aChangedAgentJarGetsItsOwnDirectory() throws Exception {
        Path before = unpack(root);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(agentJar))) {
            put(out, AgentClassLoader.LIB + "tools.jar", "a newer build".getBytes());
            put(out, AgentClassLoader.BOOT + "bridge.jar", BOOT_JAR);
        }
        Path after = unpack(root);
        assertNotEquals(before, after);
        assertArrayEquals("a newer build".getBytes(), Files.readAllBytes(after.resolve("tools.jar")));
    }

    @Test
    void aChangeOutsideTheNestedJarsKeepsTheDirectory() throws Exception {
        Path before = unpack(root);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(agentJar))) {
            put(out, "dev/magistrate/agent/MagistrateAgent.class", "loaded from the agent jar itself".getBytes());
            put(out, AgentClassLoader.LIB + "tools.jar", LIB_JAR);
            put(out, AgentClassLoader.BOOT + "bridge.jar", BOOT_JAR);
        }
        assertEquals(before, unpack(root), "the key covers what the cache holds: the nested jars");
    }

    @Test
    void theAgentsOwnJarsAreSearchedBeforeItsLibraries() throws Exception {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(agentJar))) {
            put(out, AgentClassLoader.LIB + "zeta-1.0.jar", LIB_JAR);
            put(out, AgentClassLoader.LIB + "magistrate-engine-1.0.jar", LIB_JAR);
            put(out, AgentClassLoader.BOOT + "bridge.jar", BOOT_JAR);
            put(out, AgentClassLoader.LIB + "alpha-1.0.jar", LIB_JAR);
            put(out, AgentClassLoader.LIB + "magistrate-agent-internal.jar", LIB_JAR);
        }
        AgentClassLoader.Extracted extracted = AgentClassLoader.create(agentJar.toFile(), root);
        try (URLClassLoader loader = (URLClassLoader) extracted.loader()) {
            List<String> order = Arrays.stream(loader.getURLs()).map(u -> Path.of(u.getPath()).getFileName().toString()).toList();
            assertEquals(List.of("magistrate-engine-1.0.jar", "magistrate-agent-internal.jar", "zeta-1.0.jar", "alpha-1.0.jar"), order);
            assertEquals("bridge.jar", extracted.bootstrapJar().getName());
        }
    }

    @Test
    void directoriesOfOtherBuildsUnusedForAWeekAreRemovedAndRecentOnesKept() throws Exception {
        Path current = unpack(root);
        assertTrue(current.getFileName().toString().matches("[0-9a-f]{16}"), current.toString());
        Path stale = Files.createDirectory(root.resolve("0123456789abcdef"));
        Files.write(stale.resolve("tools.jar"), LIB_JAR);
        Path staleOfAnOlderAgent = Files.createDirectory(root.resolve("0123456789abcdef0123456789abcdef"));
        Path recent = Files.createDirectory(root.resolve("fedcba9876543210fedcba9876543210"));
        Path notOurs = Files.createDirectory(root.resolve("keep-me"));
        long eightDaysAgo = System.currentTimeMillis() - java.time.Duration.ofDays(8).toMillis();
        for (Path d : List.of(stale, staleOfAnOlderAgent, notOurs, current)) Files.setLastModifiedTime(d, java.nio.file.attribute.FileTime.fromMillis(eightDaysAgo));
        assertEquals(current, unpack(root), "the same build finds its directory");
        assertFalse(Files.exists(stale), "a build not started for 8 days is removed");
        assertFalse(Files.exists(staleOfAnOlderAgent), "so is one an older agent keyed with 32 hex digits");
        assertTrue(Files.exists(recent), "a build started recently is kept");
        assertTrue(Files.exists(notOurs), "only directories named like a cache key are touched");
        assertTrue(Files.exists(current.resolve("tools.jar")), "the build in use is kept, however old its directory was");
    }

    @Test
    void aWorldWritableCacheIsNotUsed() throws Exception {
        Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx")); // the umask may have cut it
        Path used = unpack(root);
        assertFalse(used.startsWith(root), "unpacked into " + used);
        assertArrayEquals(LIB_JAR, Files.readAllBytes(used.resolve("tools.jar")));
        try (var files = Files.list(root)) {
            assertEquals(0, files.count(), "nothing written into a directory others can write");
        }
    }

    @Test
    void aGroupWritableCachedJarIsNotUsed() throws Exception {
        Path cached = unpack(root).resolve("tools.jar");
        Files.setPosixFilePermissions(cached, PosixFilePermissions.fromString("rw-rw----"));
        assertFalse(unpack(root).startsWith(root));
    }

    @Test
    void aCacheOwnedBySomeoneElseIsNotUsed() throws Exception {
        Path cached = unpack(root);
        int self = (Integer) Files.getAttribute(root, "unix:uid");
        // Only root can give a directory away; as anyone else the test makes one it cannot have: a link to another user's.
        if (self == 0) {
            Files.setAttribute(cached, "unix:uid", 65534);
        } else {
            Files.delete(cached.resolve("tools.jar"));
            Files.delete(cached.resolve("bridge.jar"));
            Files.delete(cached);
            Files.createSymbolicLink(cached, Path.of("/"));
        }
        Path used = unpack(root);
        assertFalse(used.startsWith(root), "unpacked into " + used);
        assertArrayEquals(BOOT_JAR, Files.readAllBytes(used.resolve("bridge.jar")));
    }

    @Test
    void aSymbolicLinkInPlaceOfTheCacheIsNotFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(root, elsewhere);
        assertFalse(unpack(root).startsWith(root));
        try (var files = Files.list(elsewhere)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void theLocationComesFromTheSettingTheEnvironmentOrTheUsersCacheAndOffTurnsItOff() {
        Map<Object, Object> home = Map.of("user.home", "/home/u");
        assertEquals(Path.of("/home/u/.cache/magistrate/agent"), NestedJarCache.root(home, Map.of()));
        assertEquals(Path.of("/x/magistrate/agent"), NestedJarCache.root(home, Map.of("XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/e"), NestedJarCache.root(home, Map.of(NestedJarCache.ENVIRONMENT, "/e")));
        assertEquals(Path.of("/p"), NestedJarCache.root(Map.of("user.home", "/home/u", NestedJarCache.SETTING, "/p"), Map.of(NestedJarCache.ENVIRONMENT, "/e")));
        assertNull(NestedJarCache.root(Map.of(NestedJarCache.SETTING, "off"), Map.of()));
    }

    @Test
    void offUnpacksIntoAPrivateTemporaryDirectory() throws Exception {
        Path used = unpack(null);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(used)));
        assertArrayEquals(LIB_JAR, Files.readAllBytes(used.resolve("tools.jar")));
        assertTrue(used.getFileName().toString().startsWith("magistrate-agent-"));
    }

    @Test
    void theSettingIsAcceptedFromTheEnvironmentAndPropertiesAndRefusedInTheFileWhichIsReadTooLate() throws Exception {
        AgentConfig.load(null, Map.of(NestedJarCache.ENVIRONMENT, "/e"), Map.of(NestedJarCache.SETTING, "/p"), dir); // no unknown-setting error
        Files.writeString(dir.resolve("magistrate.yaml"), "agent: {cache: {dir: /c}}\n");
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class, () -> AgentConfig.load(null, Map.of(), Map.of(), dir));
        assertEquals(dir.resolve("magistrate.yaml") + ": magistrate.agent.cache.dir is read before the configuration file and the agent argument: "
                + "set it with -Dmagistrate.agent.cache.dir or MAGISTRATE_AGENT_CACHE_DIR", e.getMessage());
    }
}
