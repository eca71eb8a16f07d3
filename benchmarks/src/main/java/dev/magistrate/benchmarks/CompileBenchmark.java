package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.benchmarks.peers.Engines;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loading a policy file: parse, check and compile (Janino) the generated policy of 50 and 1,000
 * rules, timed one load at a time (single shot; every load defines a new class, as a reload does).
 * The target is a 1,000-rule file in under half a second. {@link #parseOnly} is the baseline: what
 * the stages before code generation cost, so the difference is Janino.
 *
 * <p>{@code hotSwap}: one thread decides on the 50-rule policy through an {@link AtomicReference}
 * (what the governor does) while the other compiles the 1,000-rule file and swaps it in, over and
 * over. Compare the decider's percentiles with {@link DecisionBenchmark}: a swap that stalled
 * deciders would show as a p99 or max in the micro- or milliseconds. Sampled per call, so its
 * numbers include ~20 ns of timer cost.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class CompileBenchmark {

    @State(Scope.Benchmark)
    public static class Source {
        @Param({"50", "1000"})
        public int rules;
        String yaml;

        @Setup
        public void setUp() {
            yaml = PolicyDescription.of(rules).toMagistrateYaml();
        }
    }

    /** Baseline: parse and check only (YAML, expressions, names, regexes), without generating and compiling a class. */
    @Benchmark
    public Object parseOnly(Source source) {
        return PolicyLoader.parse("benchmark.yaml", source.yaml);
    }

    /** Parse, check and compile one file. */
    @Benchmark
    public CompiledPolicy parseAndCompile(Source source) {
        return PolicyCompiler.compile(PolicyLoader.parse("benchmark.yaml", source.yaml));
    }

    @State(Scope.Group)
    public static class Swapping {
        final AtomicReference<CompiledPolicy> current = new AtomicReference<>();
        String large;
        PolicyInput[] inputs;
        int next;

        @Setup
        public void setUp() throws Exception {
            PolicyDescription small = PolicyDescription.of(50);
            current.set(PolicyCompiler.compile(PolicyLoader.parse("small.yaml", small.toMagistrateYaml())));
            large = PolicyDescription.of(1000).toMagistrateYaml();
            List<Call> calls = small.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED);
            inputs = new PolicyInput[calls.size()];
            try (var prep = Engines.create("magistrate", small)) {
                for (int i = 0; i < inputs.length; i++) inputs[i] = (PolicyInput) prep.prepare(calls.get(i));
            }
        }
    }

    /** A deciding thread, while the other one keeps swapping policies in. */
    @Benchmark
    @Group("hotSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public Decision hotSwapDecide(Swapping s) {
        return s.current.get().decide(s.inputs[s.next++ & (DecisionBenchmark.CALLS - 1)]);
    }

    /** Compiles the 1,000-rule file (which covers the small set's actions too) and swaps it in. */
    @Benchmark
    @Group("hotSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public CompiledPolicy hotSwapCompile(Swapping s) {
        CompiledPolicy next = PolicyCompiler.compile(PolicyLoader.parse("large.yaml", s.large));
        return s.current.getAndSet(next);
    }
}
