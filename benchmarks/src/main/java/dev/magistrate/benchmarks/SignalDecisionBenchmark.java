package dev.magistrate.benchmarks;

import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.signal.SignalBoard;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a raise rule over a published signal costs a decision. The same policy (a T1 rule and a raise rule) decides
 * the same call three ways: {@code none} without the raise rule (the baseline), {@code argument} with the raise rule
 * reading {@code args.error_rate} (an argument lookup by name), {@code signal} with it reading {@code signal.error_rate}
 * from a {@link SignalBoard} snapshot slot. Half the calls see the rate above the threshold, so both branches run.
 * Guards against a signal read that costs more than reading an argument.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SignalDecisionBenchmark {

    @Param({"none", "argument", "signal"})
    public String raise;

    private CompiledPolicy policy;
    private PolicyInput[] inputs;
    private int next;

    @Setup
    public void setUp() {
        String condition = switch (raise) {
            case "none" -> null;
            case "argument" -> "args.error_rate > 0.05";
            default -> "signal.error_rate > 0.05";
        };
        String yaml = "default: T0\npolicies:\n  - name: deploys\n    condition: \"action == 'deploy' and args.env == 'prod'\"\n    risk_tier: T1\n"
                + (condition == null ? "" : "  - name: incident\n    condition: \"" + condition + "\"\n    raise_tier: 1\n");
        policy = PolicyCompiler.compile(PolicyLoader.parse("bench.yaml", yaml));
        SignalBoard calm = new SignalBoard(), incident = new SignalBoard();
        calm.set("error_rate", 0.01);
        incident.set("error_rate", 0.07);
        inputs = new PolicyInput[]{new Input(calm.snapshot(), 0.01), new Input(incident.snapshot(), 0.07)};
    }

    @Benchmark
    public Object decide() {
        return policy.decide(inputs[next++ & 1]);
    }

    /** A call with its arguments in a map, as the engine's intent holds them, and the signals of one moment. */
    record Input(SignalBoard.Snapshot signals, Map<String, Object> args) implements PolicyInput {
        Input(SignalBoard.Snapshot signals, double rate) {
            this(signals, Map.of("env", "prod", "error_rate", BigDecimal.valueOf(rate)));
        }

        @Override public String action() { return "deploy"; }
        @Override public String resource() { return null; }
        @Override public String agent() { return "ops-agent"; }
        @Override public String justification() { return null; }
        @Override public String urgency() { return null; }
        @Override public Object cost() { return null; }
        @Override public Instant time() { return Instant.EPOCH; }
        @Override public Object argument(String name) { return args.get(name); }
        @Override public Object signal(int slot) { return signals.get(slot); }
    }
}
