package dev.magistrate.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link GovernedCallBenchmark}'s governed call in a plain loop, for what JMH's wall time cannot show on a shared
 * machine and for profiling without JMH's forks: per round, the calling thread's CPU time per call (user and system, so
 * the page faults of the audit file count; waiting for a core does not), its allocated bytes per call (exact, whatever
 * the load), then the median, p90 and p99 of 200,000 calls timed one by one. JMH's numbers remain the published ones.
 *
 * <pre>
 * ARGS=$(java -Dmagistrate.agent.jar=javaagent/target/magistrate-agent.jar -cp benchmarks/target/benchmarks.jar \
 *        dev.magistrate.benchmarks.GovernedCallSetup $(mktemp -d))
 * java $ARGS -cp benchmarks/target/benchmarks.jar dev.magistrate.benchmarks.GovernedCallCpuCheck [ROUNDS [CALLS_PER_ROUND]]
 * </pre>
 * ROUNDS defaults to 10, CALLS_PER_ROUND to 300,000; the first two rounds are the JIT's.
 */
public final class GovernedCallCpuCheck {

    private static final int TIMED_ONE_BY_ONE = 200_000;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        long calls = args.length > 1 ? Long.parseLong(args[1]) : 300_000;
        GovernedTool tool = new GovernedTool();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] nanos = new long[TIMED_ONE_BY_ONE];
        long sink = 0;
        for (int round = 0; round < rounds; round++) {
            long cpu = threads.getCurrentThreadCpuTime(), allocated = threads.getCurrentThreadAllocatedBytes(), wall = System.nanoTime();
            for (long i = 0; i < calls; i++) sink += tool.scaleGoverned("web", 12);
            wall = System.nanoTime() - wall;
            cpu = threads.getCurrentThreadCpuTime() - cpu;
            allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            for (int i = 0; i < nanos.length; i++) {
                long start = System.nanoTime();
                sink += tool.scaleGoverned("web", 12);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            System.out.printf(Locale.ROOT, "round %d: mean %.0f ns; cpu %.0f ns/call; alloc %.0f B/call; sampled p50 %d p90 %d p99 %d%n", round,
                    wall / (double) calls, cpu / (double) calls, allocated / (double) calls, nanos[nanos.length / 2],
                    nanos[nanos.length * 9 / 10], nanos[nanos.length * 99 / 100]);
        }
        if (sink == 42) System.out.println(); // keeps the calls' results alive
    }
}
