package dev.magistrate.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Governed T0 calls from 1, 2, 8 and 64 threads at once, all through one engine (one audit log, one
 * policy): what guards against a lock or a shared structure that makes many callers slower in total
 * than one. Throughput with N threads is {@code N / mean time per call}; the target is that it never
 * falls below one thread's. On a machine with fewer cores than threads it cannot rise much above one
 * thread's either: the calls then share the cores, and what is measured is that contention does not
 * cost throughput.
 *
 * <p>Same set-up as {@link GovernedCallBenchmark}: the fork runs with the agent (run.sh passes
 * {@code -jvmArgsAppend -javaagent:...}), and set-up refuses to run un-instrumented. The arguments
 * are non-final fields of a per-thread state, so the JIT cannot fold the call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GovernedThreadsBenchmark {

    private GovernedTool tool;
    private String service = "web";
    private int instances = 12;

    @Setup(Level.Trial)
    public void requireAgent() {
        tool = new GovernedTool();
        GovernedCallBenchmark check = new GovernedCallBenchmark();
        check.requireAgent();
    }

    @Benchmark
    @Threads(1)
    public long threads1() {
        return tool.scaleGoverned(service, instances);
    }

    @Benchmark
    @Threads(2)
    public long threads2() {
        return tool.scaleGoverned(service, instances);
    }

    @Benchmark
    @Threads(8)
    public long threads8() {
        return tool.scaleGoverned(service, instances);
    }

    @Benchmark
    @Threads(64)
    public long threads64() {
        return tool.scaleGoverned(service, instances);
    }
}
