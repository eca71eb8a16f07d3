package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Loading a policy file: parse, check and compile (Janino) the generated policy of 50 and 1,000
 * rules, timed one load at a time (single shot; every load defines a new class, as a reload does).
 * The target is a 1,000-rule file in under half a second. {@link #parseOnly} is the baseline: what
 * the stages before code generation cost, so the difference is Janino.
 *
 * <p>{@code hotSwap}: one thread decides through the governor of a running {@link Magistrate} while the
 * other rewrites its policy file and reloads it through {@link LivePolicy} (compiled on the reload
 * thread, audited, swapped with one reference write), over and over. Compare the decider's
 * percentiles with {@link DecisionBenchmark}: a swap that stalled deciders would show as a p99 or
 * max in the micro- or milliseconds. What is left in the max is the JVM's (garbage collection of
 * what the compiler allocates, safepoints for class definition and deoptimisation) and the
 * scheduler's on a loaded machine. Sampled per call, so its numbers include ~20 ns of timer cost.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
// The hot-swap group runs a Magistrate, whose audit log is Chronicle Queue: it needs what AuditAppendBenchmark opens.
@Fork(value = 1, jvmArgsAppend = {
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true"})
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

    /**
     * The engine as it runs: a {@link Magistrate} on a temporary directory (real keys, a real audit log on disk) whose
     * policy file is rewritten and reloaded through {@link LivePolicy}, alternately the 50-rule and the 1,000-rule set.
     */
    @State(Scope.Group)
    public static class Swapping {
        Path dir;
        Path file;
        Magistrate magistrate;
        String small;
        String large;
        Intent[] intents;
        int next;
        boolean largeNext = true;

        @Setup
        public void setUp() throws Exception {
            PolicyDescription smallSet = PolicyDescription.of(50);
            small = smallSet.toMagistrateYaml();
            large = PolicyDescription.of(1000).toMagistrateYaml();
            dir = Files.createTempDirectory("magistrate-hotswap");
            file = dir.resolve("policy.yaml");
            Files.writeString(file, small);
            magistrate = Magistrate.open(MagistrateSettings.builder().policy(file).auditDirectory(dir.resolve("audit"))
                    .keysDirectory(dir.resolve("keys")).agentId("bench").build());
            List<Call> calls = smallSet.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED);
            intents = new Intent[calls.size()];
            for (int i = 0; i < intents.length; i++) {
                Call c = calls.get(i);
                intents[i] = magistrate.intent(c.action()).agent(c.agent()).resource(c.resource()).arg("role", c.role())
                        .arg("amount", c.amount()).arg("environment", c.environment()).build();
            }
        }

        @TearDown
        public void tearDown() throws Exception {
            magistrate.close();
            BenchFiles.deleteTree(dir);
        }
    }

    /** A deciding thread, through the governor as {@code admit} decides, while the other one keeps reloading the policy. */
    @Benchmark
    @Group("hotSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public Decision hotSwapDecide(Swapping s) {
        return s.magistrate.decide(s.intents[s.next++ & (DecisionBenchmark.CALLS - 1)]);
    }

    /**
     * Rewrites the policy file (the 1,000-rule set, which covers the small set's actions too, then the 50-rule set again) and
     * reloads it: {@link LivePolicy} loads, checks and compiles on its own thread, audits the change and swaps one reference;
     * this thread only waits for it.
     */
    @Benchmark
    @Group("hotSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public LivePolicy.Outcome hotSwapReload(Swapping s) throws Exception {
        Files.writeString(s.file, s.largeNext ? s.large : s.small);
        s.largeNext = !s.largeNext;
        LivePolicy.Outcome o = s.magistrate.reloadPolicy("benchmark");
        if (!o.loaded()) throw new IllegalStateException(o.error());
        return o;
    }

    /**
     * The control for {@code hotSwap}: the same deciding thread while the other one does the same loading, checking and
     * compiling, but never swaps. If this group's max matches {@code hotSwap}'s, the swap itself adds nothing to it: the max
     * is what compiling on a second thread costs a decider on this machine (the scheduler, the garbage collector).
     */
    @Benchmark
    @Group("compileNoSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public Decision compileNoSwapDecide(Swapping s) {
        return s.magistrate.decide(s.intents[s.next++ & (DecisionBenchmark.CALLS - 1)]);
    }

    @Benchmark
    @Group("compileNoSwap")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 2)
    public CompiledPolicy compileNoSwapCompile(Swapping s) {
        CompiledPolicy p = PolicyCompiler.compile(PolicyLoader.parse("benchmark.yaml", s.largeNext ? s.large : s.small));
        s.largeNext = !s.largeNext;
        return p;
    }
}
