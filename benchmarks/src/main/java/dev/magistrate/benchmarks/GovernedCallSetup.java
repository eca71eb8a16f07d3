package dev.magistrate.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes what the agent of the governed-call fork reads (configuration, policy; audit and keys
 * directories are created by the agent) and prints the {@code -javaagent:} arguments to start the
 * fork with. {@code run.sh} and the smoke test use it; the agent jar's path comes from the system
 * property {@code magistrate.agent.jar}.
 */
public final class GovernedCallSetup {

    static final String POLICY = """
            policies:
              - name: "benchmark tool runs unasked"
                condition: "action == 'bench_noop'"
                risk_tier: "T0"
              - name: "benchmark denial"
                condition: "action == 'bench_denied'"
                effect: deny
                reason: "proves the agent intercepts"
            """;

    private GovernedCallSetup() {
    }

    /**
     * Writes {@code magistrate.yaml} and {@code policy.yaml} into {@code dir}; returns the JVM
     * argument that starts Magistrate's agent.
     */
    public static String writeConfig(Path dir, Path agentJar) throws IOException {
        if (!Files.isRegularFile(agentJar)) {
            throw new IllegalStateException("no agent jar at " + agentJar + ": build it with mvn -pl javaagent -am package -DskipTests");
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                audit: {dir: audit, durability: mapped}
                keys: {dir: keys}
                agent: {id: benchmark}
                log: {level: warn}
                # benchmarks.jar carries an OpenTelemetry SDK (for TelemetryBenchmark): this suite measures governing alone.
                telemetry: off
                """);
        return "-javaagent:" + agentJar.toAbsolutePath() + "=config=" + dir.toAbsolutePath().resolve("magistrate.yaml");
    }

    public static String agentArgument(Path dir) throws IOException {
        String jar = System.getProperty("magistrate.agent.jar");
        if (jar == null) throw new IllegalStateException("set -Dmagistrate.agent.jar=PATH to the built magistrate-agent.jar");
        return writeConfig(dir, Path.of(jar));
    }

    /** {@code java -Dmagistrate.agent.jar=JAR -cp benchmarks.jar dev.magistrate.benchmarks.GovernedCallSetup DIR} */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: GovernedCallSetup DIR");
        System.out.println(agentArgument(Path.of(args[0])));
    }
}
