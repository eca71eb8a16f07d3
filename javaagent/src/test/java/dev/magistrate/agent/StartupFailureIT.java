package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up failures never leave governed methods running unchecked: whatever fails, every governed
 * method is instrumented and denied with the reason, or the JVM does not start. The failures are real
 * ones: an agent jar whose nested library is broken, so that a class is missing at start-up (an
 * {@code Error}, not an exception), in the engine or in the instrumentation itself.
 */
class StartupFailureIT {

    @TempDir
    Path dir;

    /** A copy of the agent jar in which the nested jars whose names start with {@code prefix} hold no classes. */
    private Path agentJarWithout(String prefix) throws IOException {
        Path broken = dir.resolve("broken-agent-" + prefix + ".jar");
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(AgentRun.JAR));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(broken))) {
            ZipEntry e;
            int emptied = 0;
            while ((e = in.getNextEntry()) != null) {
                out.putNextEntry(new ZipEntry(e.getName()));
                if (e.getName().startsWith("META-INF/magistrate/lib/" + prefix) && e.getName().endsWith(".jar")) {
                    out.write(emptyJar());
                    emptied++;
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
            assertTrue(emptied > 0, "no nested jar starts with " + prefix);
        }
        return broken;
    }

    private static byte[] emptyJar() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream j = new JarOutputStream(b, m)) {
            j.putNextEntry(new ZipEntry("EMPTY"));
            j.closeEntry();
        }
        return b.toByteArray();
    }

    private AgentRun.Result runUnder(Path agentJar, String... cases) throws Exception {
        InterceptionIT.workDir(dir, "");
        return AgentRun.run(AgentRun.java(), dir, List.of("-javaagent:" + agentJar + "=config=" + dir.resolve("magistrate.yaml")),
                AgentRun.appClasspath(), InterceptionIT.APP, cases);
    }

    @Test
    void anErrorWhileTheEngineStartsLeavesEveryGovernedCallDeniedWithTheReason() throws Exception {
        // Chronicle's classes are gone: opening the audit log throws NoClassDefFoundError, an Error.
        AgentRun.Result r = runUnder(agentJarWithout("chronicle-queue"), "class", "static", "interface-default");
        assertEquals(0, r.exit(), r::toString);
        for (String c : List.of("class", "static", "interface-default")) {
            assertTrue(r.outcome(c).startsWith(InterceptionIT.DENIED + "'"), c + ": " + r);
            assertTrue(r.outcome(c).contains("Magistrate could not start: NoClassDefFoundError"), c + ": " + r);
        }
        assertTrue(r.err().contains("ENGINE FAILED TO START, every call denied: NoClassDefFoundError"), r::toString);
    }

    @Test
    void whenNothingCanBeInstrumentedTheJvmDoesNotStart() throws Exception {
        // Byte Buddy's classes are gone: the agent cannot instrument anything, so it must not let the application run.
        AgentRun.Result r = runUnder(agentJarWithout("byte-buddy"), "class");
        assertNotEquals(0, r.exit(), r::toString);
        assertFalse(r.out().contains("CASE class OK"), "the governed method must never run unchecked: " + r);
        assertTrue(r.err().contains("[magistrate] FATAL the agent could not start, and governed methods would run unchecked"), r::toString);
    }
}
