package dev.magistrate.agent;

import dev.magistrate.annotations.GovernedAction;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Starts a real child JVM, usually with -javaagent on the built jar, and collects what it printed. */
final class AgentRun {

    static final Path JAR = Path.of(System.getProperty("magistrate.agent.jar", "target/magistrate-agent.jar")).toAbsolutePath();
    static final Path TEST_CLASSES = Path.of(System.getProperty("magistrate.testapp.classes", "target/test-classes")).toAbsolutePath();
    static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    record Result(int exit, String out, String err) {

        /** The line {@code CASE name ...}, without the prefix; fails when the case did not run. */
        String outcome(String name) {
            String prefix = "CASE " + name + " ";
            return out.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                    .orElseGet(() -> fail("case " + name + " printed nothing\nstdout:\n" + out + "\nstderr:\n" + err));
        }

        String line(String prefix) {
            return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static String appClasspath(String... extra) {
        List<String> cp = new ArrayList<>();
        cp.add(TEST_CLASSES.toString());
        cp.add(codeSource(GovernedAction.class));
        cp.addAll(List.of(extra));
        return String.join(File.pathSeparator, cp);
    }

    static String codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Result run(String javaBin, Path workDir, List<String> jvmArgs, String classpath, String mainClass, String... args)
            throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), "build the agent jar first: " + JAR);
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin);
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        Path out = Files.createTempFile(workDir, "stdout", ".txt"), err = Files.createTempFile(workDir, "stderr", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("child JVM did not finish in 120 s: " + cmd + "\n" + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The app under the agent, with a config file in {@code workDir} and no flag but -javaagent. */
    static Result withAgent(String javaBin, Path workDir, String classpath, String mainClass, String... args)
            throws IOException, InterruptedException {
        return run(javaBin, workDir, List.of("-javaagent:" + JAR + "=config=" + workDir.resolve("magistrate.yaml")),
                classpath, mainClass, args);
    }
}
