package dev.magistrate.benchmarks;

import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditSink;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.governor.Governor;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a sliding window adds to a decision, on the engine's own path ({@code Governor.decide}: the compiled policy, the
 * window input, the counter read). The policy is {@link DecisionBenchmark}'s 50 generated rules, as they are
 * ({@code policy=plain}: the baseline, and the path every policy without windows takes: the intent itself is the input,
 * no window is looked up) or with one more rule read for every call ({@code policy=windowed}:
 * {@code sum(args.amount, 1h) + args.amount > ...}, deny), its counters already holding the spend of earlier granted
 * calls of every agent. The windowed rule never denies here, so both variants give {@link DecisionBenchmark}'s answers,
 * checked in set-up.
 *
 * <p>Inputs rotate over {@value #CALLS} prepared intents; fields are not final so nothing folds into constants.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WindowBenchmark {

    static final int CALLS = 256;
    static final String WINDOWED_RULE = """
              - name: "hourly amount budget"
                condition: "sum(args.amount, 1h) + args.amount > 1000000000000"
                effect: deny
                reason: "the hourly amount budget is spent"
            """;

    @Param({"plain", "windowed"})
    public String policy;

    private Governor governor;
    private Intent[] inputs;
    private int next;
    private Path state;

    /** Discards entries: the benchmark decides, and the spend it sets up needs no trail. */
    private static final class DiscardingSink implements AuditSink {
        private final AtomicLong index = new AtomicLong();

        @Override
        public long append(dev.magistrate.audit.AuditEvent event) {
            return index.getAndIncrement();
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        PolicyDescription description = PolicyDescription.of(50);
        String yaml = description.toMagistrateYaml() + (policy.equals("windowed") ? WINDOWED_RULE : "");
        CompiledPolicy compiled = PolicyCompiler.compile(PolicyLoader.parse("window-benchmark.yaml", yaml));
        state = Files.createTempDirectory("magistrate-window-bench");
        governor = Governor.builder().policy(compiled).approvalBackend(new ProgrammaticApprovalBackend())
                .approvers(ApproverDirectory.of(List.of())).stateDirectory(state).audit(new DiscardingSink()).build();
        List<Call> calls = description.calls(CALLS, DecisionBenchmark.SEED);
        inputs = new Intent[CALLS];
        for (int i = 0; i < CALLS; i++) {
            Call c = calls.get(i);
            inputs[i] = Intent.builder(c.action()).agent(c.agent()).resource(c.resource())
                    .arg("role", c.role()).arg("amount", c.amount()).arg("environment", c.environment()).build();
            // Spend: every call granted once (allowed or waiting for people) adds its amount to its agent's window.
            if (policy.equals("windowed")) governor.authorizeAsync(Intent.builder(c.action()).agent(c.agent()).resource(c.resource())
                    .arg("role", c.role()).arg("amount", c.amount()).arg("environment", c.environment()).build());
            Outcome got = outcome(governor.decide(inputs[i]));
            if (got != description.expected(c)) throw new IllegalStateException(policy + " answers " + got + " for " + c);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        governor.close();
        try (var files = Files.walk(state)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Outcome outcome(Decision d) {
        return switch (d.effect()) {
            case ALLOW -> Outcome.ALLOW;
            case APPROVE -> Outcome.APPROVE;
            case DENY -> Outcome.DENY;
        };
    }

    /** One decision on the next prepared intent. */
    @Benchmark
    public Decision decide() {
        return governor.decide(inputs[next++ & (CALLS - 1)]);
    }
}
