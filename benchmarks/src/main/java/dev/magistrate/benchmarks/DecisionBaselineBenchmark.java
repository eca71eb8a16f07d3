package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.peers.Engines;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor under every {@link DecisionBenchmark} number: the same loop (take the next of the
 * prepared Magistrate inputs and hand it to JMH) without deciding. Kept apart so that it runs once
 * rather than once per engine and size. Guards against reading the harness's own cost as an
 * engine's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionBaselineBenchmark {

    private Object[] inputs;
    private int next;

    @Setup
    public void setUp() throws Exception {
        PolicyDescription policy = PolicyDescription.of(50);
        List<Call> calls = policy.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED);
        inputs = new Object[DecisionBenchmark.CALLS];
        try (var engine = Engines.create("magistrate", policy)) {
            for (int i = 0; i < inputs.length; i++) inputs[i] = engine.prepare(calls.get(i));
        }
    }

    /** Picks the next input, as {@link DecisionBenchmark#decide} does, and returns it. */
    @Benchmark
    public Object nextInput() {
        return inputs[next++ & (DecisionBenchmark.CALLS - 1)];
    }
}
