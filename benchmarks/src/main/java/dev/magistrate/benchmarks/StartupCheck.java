package dev.magistrate.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the agent adds to the start of a trivial application: {@link StartupApp} started {@code runs}
 * times with and {@code runs} times without {@code -javaagent}, alternating (so that a change in the
 * machine's load hits both sides alike), wall time from process start to exit. The added time is the
 * difference of each pair; reported as median and p90, next to the split the agent logs (unpack,
 * instrumentation, engine). One start of each variant runs first, not counted: it creates the keys
 * and the audit trail (and fills the agent's jar cache), which later starts find.
 *
 * <p>Not a JMH benchmark: a JVM start cannot be repeated inside one JVM. The machine's load matters
 * much more than here: read the numbers next to {@code machine.txt}.
 *
 * <p>{@code java -cp benchmarks.jar dev.magistrate.benchmarks.StartupCheck AGENT_JAR RUNS WORK_DIR OUT.json}
 */
public final class StartupCheck {

    /** The line AgentInstaller logs when it has started. */
    private static final Pattern PREMAIN = Pattern.compile("premain in (\\d+) ms \\(unpack (\\d+), instrumentation (\\d+)\\)");
    /** Logged only when the engine starts: a JVM that ends before any governed call abandons the start (engineMillis -1). */
    private static final Pattern SPLIT = Pattern.compile("(?:started|attached) in (\\d+) ms \\(unpack (\\d+), instrumentation (\\d+), engine (\\d+)");
    private static final List<String> APP_CLASSES = List.of("dev/magistrate/benchmarks/StartupApp.class",
            "dev/magistrate/benchmarks/GovernedTool.class", "dev/magistrate/annotations/GovernedAction.class");

    private StartupCheck() {
    }

    /** One start with the agent: wall time, and the agent's own split of it. */
    record AgentStart(long wallMillis, long agentMillis, long unpackMillis, long instrumentationMillis, long engineMillis) {
    }

    record Variant(String name, long[] withoutMillis, AgentStart[] with, long coldWithMillis) {

        long[] added() {
            long[] d = new long[withoutMillis.length];
            for (int i = 0; i < d.length; i++) d[i] = with[i].wallMillis() - withoutMillis[i];
            return d;
        }

        String toJson() {
            long[] added = added();
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"addedMedianMillis\":%d,\"addedP90Millis\":%d,"
                            + "\"withoutMedianMillis\":%d,\"withMedianMillis\":%d,\"coldWithMillis\":%d,\"addedMillis\":%s,\"withoutMillis\":%s,\"agent\":[",
                    name, percentile(added, 50), percentile(added, 90), percentile(withoutMillis, 50),
                    percentile(Arrays.stream(with).mapToLong(AgentStart::wallMillis).toArray(), 50), coldWithMillis,
                    Arrays.toString(added).replace(" ", ""), Arrays.toString(withoutMillis).replace(" ", "")));
            for (int i = 0; i < with.length; i++) {
                AgentStart a = with[i];
                s.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"wallMillis\":%d,\"agentMillis\":%d,\"unpackMillis\":%d,\"instrumentationMillis\":%d,\"engineMillis\":%d}",
                        a.wallMillis(), a.agentMillis(), a.unpackMillis(), a.instrumentationMillis(), a.engineMillis()));
            }
            return s.append("]}").toString();
        }
    }

    /** Nearest-rank percentile. */
    static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) throw new IllegalArgumentException("usage: StartupCheck AGENT_JAR RUNS WORK_DIR OUT.json");
        Path agentJar = Path.of(args[0]).toAbsolutePath();
        int runs = Integer.parseInt(args[1]);
        Path work = Path.of(args[2]).toAbsolutePath();
        Path classes = writeAppClasses(work.resolve("app"));
        List<String> variants = new ArrayList<>();
        for (String name : List.of("trivial", "governed")) {
            Variant v = measure(name, agentJar, runs, work.resolve(name), classes);
            System.out.printf(Locale.ROOT, "%s: added %d ms median, %d ms p90 (without the agent %d ms, with %d ms; first start %d ms)%n", name,
                    percentile(v.added(), 50), percentile(v.added(), 90), percentile(v.withoutMillis(), 50),
                    percentile(Arrays.stream(v.with()).mapToLong(AgentStart::wallMillis).toArray(), 50), v.coldWithMillis());
            variants.add(v.toJson());
        }
        String json = String.format(Locale.ROOT, "{\"jdk\":\"%s\",\"runs\":%d,\"targetMillis\":400,\"variants\":[%s]}%n",
                System.getProperty("java.runtime.version"), runs, String.join(",", variants));
        Files.writeString(Path.of(args[3]), json);
    }

    /** The application's classes alone on its class path: the benchmarks jar would make every start slower. */
    private static Path writeAppClasses(Path dir) throws IOException {
        for (String name : APP_CLASSES) {
            try (InputStream in = StartupCheck.class.getClassLoader().getResourceAsStream(name)) {
                if (in == null) throw new IllegalStateException(name + " is not on the class path");
                Path target = dir.resolve(name);
                Files.createDirectories(target.getParent());
                Files.write(target, in.readAllBytes());
            }
        }
        return dir;
    }

    private static Variant measure(String name, Path agentJar, int runs, Path dir, Path classes) throws Exception {
        String agentArgument = GovernedCallSetup.writeConfig(dir, agentJar);
        List<String> plain = List.of(java(), "-cp", classes.toString(), StartupApp.class.getName(), name);
        List<String> governed = new ArrayList<>(List.of(java(), agentArgument, "-Dmagistrate.log.level=info", "-cp", classes.toString(),
                StartupApp.class.getName(), name));
        long cold = startWithAgent(governed, dir).wallMillis();
        run(plain, dir); // warms the file cache for the JVM itself, as the first start with the agent did for the agent
        long[] without = new long[runs];
        AgentStart[] with = new AgentStart[runs];
        for (int i = 0; i < runs; i++) {
            // Alternate which side goes first, so that neither always follows the other.
            if (i % 2 == 0) {
                without[i] = run(plain, dir).wallMillis;
                with[i] = startWithAgent(governed, dir);
            } else {
                with[i] = startWithAgent(governed, dir);
                without[i] = run(plain, dir).wallMillis;
            }
        }
        return new Variant(name, without, with, cold);
    }

    private record Run(long wallMillis, String output) {
    }

    private static AgentStart startWithAgent(List<String> command, Path dir) throws Exception {
        Run r = run(command, dir);
        Matcher m = SPLIT.matcher(r.output);
        if (m.find()) {
            return new AgentStart(r.wallMillis, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
        }
        Matcher p = PREMAIN.matcher(r.output);
        if (!p.find()) throw new IllegalStateException("the agent did not log its premain line:\n" + r.output);
        return new AgentStart(r.wallMillis, Long.parseLong(p.group(1)), Long.parseLong(p.group(2)), Long.parseLong(p.group(3)), -1);
    }

    private static Run run(List<String> command, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        long wall = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        String output = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IllegalStateException("exit " + p.exitValue() + ": " + command + "\n" + output);
        return new Run(wall, output);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
