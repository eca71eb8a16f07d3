package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Byte Buddy is loaded with the first class that could be governed ({@code GovernedClassFilter}): an application without
 * one never loads it, and a class governed by configuration alone, the first such class, is governed all the same. The
 * JVM's own class-loading log says what was loaded.
 */
class LazyInstrumentationIT {

    private static final String APP = "example.app.ExitApp";
    private static final String BYTE_BUDDY_BUILDER = "net.bytebuddy.agent.builder.AgentBuilder$Default ";

    @TempDir
    Path dir;

    private AgentRun.Result run(String... args) throws Exception {
        return run(List.of(), args);
    }

    private AgentRun.Result run(List<String> jvmOptions, String... args) throws Exception {
        List<String> options = new ArrayList<>(jvmOptions);
        options.add("-Xlog:class+load:file=" + dir.resolve("classes.log"));
        options.add("-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"));
        return AgentRun.run(AgentRun.java(), dir, options, AgentRun.appClasspath(), APP, args);
    }

    @Test
    void anApplicationWithNoClassThatCouldBeGovernedNeverLoadsByteBuddy() throws Exception {
        InterceptionIT.workDir(dir, "");
        // The engine is held before it writes (a policy pipe nobody writes): what it would load does not count here.
        Path fifo = dir.resolve("policy-pipe.yaml");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor(), "mkfifo");
        Path config = dir.resolve("magistrate.yaml");
        Files.writeString(config, Files.readString(config).replace("policy: policy.yaml", "policy: policy-pipe.yaml"));
        AgentRun.Result r = run("return");
        assertEquals(0, r.exit(), r::toString);
        String loaded = Files.readString(dir.resolve("classes.log"));
        assertTrue(loaded.contains("example.app.ExitApp "), "the application ran under the agent");
        assertTrue(loaded.contains("dev.magistrate.agent.internal.GovernedClassFilter "), "the filter was installed");
        assertFalse(loaded.contains(BYTE_BUDDY_BUILDER), "Byte Buddy's agent builder was never loaded");
    }

    @Test
    void theEnginesCompiledPolicyDoesNotLoadByteBuddy() throws Exception {
        InterceptionIT.workDir(dir, "");
        // The audit trail is opened after the policy is compiled, and its class loaded through every transformer: once the
        // directory exists, the generated class has been offered to the filter. The async-context advice, which the start
        // installs with Byte Buddy once the engine is open, is turned off.
        AgentRun.Result r = run(List.of("-Dmagistrate.async.context=off"), "when-exists", dir.resolve("audit").toString());
        assertEquals(0, r.exit(), r::toString);
        String loaded = Files.readString(dir.resolve("classes.log"));
        assertTrue(loaded.contains("dev.magistrate.policy.generated."), "the policy was compiled and its class loaded");
        assertFalse(loaded.contains(BYTE_BUDDY_BUILDER), "Byte Buddy's agent builder was never loaded");
    }

    @Test
    void aClassGovernedByAPatternAloneIsGovernedWhenItIsTheFirstThatCouldBe() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                policies:
                  - name: "pattern-governed deletes are refused"
                    condition: "action == 'PatternOnlyTools#deleteAll'"
                    effect: deny
                    reason: "deleting everything is refused"
                """);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n"
                + "govern:\n  methods: ['example.app.PatternOnly*#delete*']\n");
        AgentRun.Result r = run("pattern-only");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.outcome("pattern-only").startsWith("DENIED "), r::toString);
        assertTrue(r.outcome("pattern-only").contains("deleting everything is refused"), r::toString);
        String loaded = Files.readString(dir.resolve("classes.log"));
        assertTrue(loaded.contains(BYTE_BUDDY_BUILDER), "Byte Buddy was loaded for it");
    }
}
