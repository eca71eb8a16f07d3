package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM whose application ends while the engine is still starting. Before the engine's first write and without a
 * governed call, the start is abandoned: the JVM exits without waiting and leaves no keys and no audit trail. Once the
 * engine writes, the exit waits for it and closes it. Either way the next start opens the same trail and it verifies.
 * No timing decides these tests: the engine is held before its first write by a policy file that is a named pipe
 * nobody writes, and the application waits for the key directory to appear before it returns.
 */
class EarlyExitIT {

    private static final String APP = "example.app.ExitApp";

    @TempDir
    Path dir;

    @Test
    void aJvmThatEndsBeforeTheEngineWritesAbandonsTheStartAndLeavesNothing() throws Exception {
        InterceptionIT.workDir(dir, "");
        Path fifo = dir.resolve("policy-pipe.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        Path config = dir.resolve("magistrate.yaml");
        String plain = Files.readString(config);
        Files.writeString(config, plain.replace("policy: policy.yaml", "policy: policy-pipe.yaml"));

        // The engine blocks reading the pipe, before anything is written: the exit does not wait for it (before this
        // change it waited forever, and the child JVM was killed after AgentRun's 120 s).
        AgentRun.Result exited = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "return");
        assertEquals(0, exited.exit(), exited::toString);
        assertFalse(exited.err().contains("ERROR") || exited.err().contains("Exception"), exited::toString);
        assertTrue(exited.err().lines().anyMatch(l -> l.matches("\\[magistrate] INFO magistrate \\S+ premain in \\d+ ms \\(unpack \\d+, "
                + "instrumentation \\d+\\); the engine was abandoned at exit before its first write, no governed call having come")),
                "the one start line says what happened: " + exited);
        assertFalse(Files.exists(dir.resolve("keys")), "no keys were created");
        assertFalse(Files.exists(dir.resolve("audit")), "no audit trail was created");

        Files.writeString(config, plain);
        assertTheNextStartGovernsAndTheTrailVerifies();
    }

    @Test
    void aJvmThatEndsWhileTheEngineWritesWaitsAndClosesTheTrailCleanly() throws Exception {
        InterceptionIT.workDir(dir, "");
        AgentRun.Result exited = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "when-exists",
                dir.resolve("keys").toString());
        assertEquals(0, exited.exit(), exited::toString);
        assertFalse(exited.err().contains("ERROR") || exited.err().contains("Exception"), exited::toString);
        assertTrue(Files.isDirectory(dir.resolve("audit")), "the start was finished: " + exited);
        assertTrue(verify().startsWith("OK "), "the trail left by the early exit verifies");

        assertTheNextStartGovernsAndTheTrailVerifies();
    }

    private void assertTheNextStartGovernsAndTheTrailVerifies() throws Exception {
        AgentRun.Result next = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "call");
        assertEquals(0, next.exit(), next::toString);
        assertEquals("OK healthy web", next.outcome("call"), next::toString);
        String verified = verify();
        assertTrue(verified.startsWith("OK "), verified);
        String exported = cli("audit", "export", dir.resolve("audit").toString());
        assertTrue(exported.contains("health_check"), exported);
    }

    private String verify() throws Exception {
        return cli("audit", "verify", dir.resolve("audit").toString(), "--keys", dir.resolve("keys").toString());
    }

    private String cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(AgentRun.java(), "-jar", AgentRun.JAR.toString()));
        cmd.addAll(List.of(args));
        Path o = Files.createTempFile(dir, "cli", ".out"), e = Files.createTempFile(dir, "cli", ".err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(o.toFile()).redirectError(e.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cli did not finish: " + cmd);
        String stdout = Files.readString(o);
        assertEquals(0, p.exitValue(), cmd + "\nstdout:\n" + stdout + "\nstderr:\n" + Files.readString(e));
        return stdout;
    }
}
