package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.peers.DecisionEngine;
import dev.magistrate.benchmarks.peers.Engines;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How long one decision takes: Magistrate's compiled policy against its reference interpreter,
 * Cedar, jCasbin, SAPL, and the same conditions evaluated with JEXL and MVEL, on the same
 * generated policy ({@link PolicyDescription}) of 10, 50 and 1,000 rules.
 *
 * <p>Each invocation decides the next of {@value #CALLS} prepared calls (a mix of allowed, approval
 * and denied calls and calls no rule mentions), so no engine can profit from one repeated input
 * and the branch predictor sees a realistic mix. The fields are not final and the engine is chosen
 * by {@code @Param} at run time, so the JIT cannot fold the policy or the inputs into constants;
 * results go back to JMH, which sinks them.
 *
 * <p>{@link DecisionBaselineBenchmark} does everything but the decision (pick the next prepared
 * input): subtract it to see the engine alone. {@code PeersAgreeTest} proves, before anything is timed, that all
 * engines give the same answers on these inputs.
 *
 * <p>Mode: average time. Single decisions of tens of nanoseconds are below what per-call sampling
 * ({@code System.nanoTime} itself costs ~20 ns) can resolve, so this suite reports the mean.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionBenchmark {

    static final int[] SIZES = {10, 50, 1000};
    static final int CALLS = 256;
    static final long SEED = 20261124L;

    @Param({"magistrate", "magistrate-reference", "cedar", "jcasbin", "sapl", "jexl", "mvel"})
    public String engine;

    @Param({"10", "50", "1000"})
    public int rules;

    private DecisionEngine decider;
    private Object[] inputs;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        PolicyDescription policy = PolicyDescription.of(rules);
        decider = Engines.create(engine, policy);
        List<Call> calls = policy.calls(CALLS, SEED);
        inputs = new Object[CALLS];
        for (int i = 0; i < CALLS; i++) {
            inputs[i] = decider.prepare(calls.get(i));
            // Guard: a broken adapter must not be timed (the agreement test checks this in CI as well).
            Outcome got = decider.decide(inputs[i]);
            if (got != policy.expected(calls.get(i))) {
                throw new IllegalStateException(engine + " answers " + got + " for " + calls.get(i) + ", expected " + policy.expected(calls.get(i)));
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        decider.close();
    }

    /** One decision on the next prepared call. */
    @Benchmark
    public Outcome decide() {
        return decider.decide(inputs[next++ & (CALLS - 1)]);
    }
}
