package dev.magistrate.agent.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs {@code java -jar magistrate-agent.jar ...} as a child process, with no flag but -jar. */
final class CliRun {

    static final Path JAR = Path.of(System.getProperty("magistrate.agent.jar", "target/magistrate-agent.jar")).toAbsolutePath();

    record Result(List<String> command, int exit, String out, String err) {

        Result expect(int status) {
            assertEquals(status, exit, () -> "exit status of " + this);
            return this;
        }

        /** Standard output's first line. */
        String firstLine() {
            return out.lines().findFirst().orElse("");
        }

        @Override
        public String toString() {
            return String.join(" ", command.subList(3, command.size())) + "\nexit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    static Result run(Path workDir, String... args) throws IOException, InterruptedException {
        return runWith(java(), workDir, args);
    }

    static Result runWith(String javaBin, Path workDir, String... args) throws IOException, InterruptedException {
        Process p = startWith(javaBin, workDir, args);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the CLI did not finish in 60 s: " + List.of(args));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return new Result(cmd, p.exitValue(), out, err);
    }

    /** Starts the CLI with standard output and error redirected to files in {@code workDir}, which the caller reads. */
    static Process start(Path workDir, String... args) throws IOException {
        return startWith(java(), workDir, args);
    }

    static Process startWith(String javaBin, Path workDir, String... args) throws IOException {
        assertTrue(Files.isRegularFile(JAR), "build the agent jar first: " + JAR);
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        Path out = Files.createTempFile(workDir, "cli-out", ".txt");
        Path err = Files.createTempFile(workDir, "cli-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        return new RedirectedProcess(p, out, err);
    }

    /** A process whose streams were redirected to files: reading them reads the files. */
    private static final class RedirectedProcess extends Process {
        private final Process p;
        private final Path out;
        private final Path err;

        RedirectedProcess(Process p, Path out, Path err) {
            this.p = p;
            this.out = out;
            this.err = err;
        }

        @Override public java.io.OutputStream getOutputStream() { return p.getOutputStream(); }

        @Override
        public java.io.InputStream getInputStream() {
            try {
                return Files.newInputStream(out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public java.io.InputStream getErrorStream() {
            try {
                return Files.newInputStream(err);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override public int waitFor() throws InterruptedException { return p.waitFor(); }

        @Override public boolean waitFor(long t, TimeUnit u) throws InterruptedException { return p.waitFor(t, u); }

        @Override public int exitValue() { return p.exitValue(); }

        @Override public void destroy() { p.destroy(); }

        @Override public Process destroyForcibly() { return p.destroyForcibly(); }

        @Override public boolean isAlive() { return p.isAlive(); }

        String stdout() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }
    }

    /** What a started process has printed to standard output so far. */
    static String stdoutSoFar(Process p) throws IOException {
        return ((RedirectedProcess) p).stdout();
    }
}
