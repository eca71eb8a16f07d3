package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.peers.DecisionEngine;
import dev.magistrate.benchmarks.peers.Engines;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.PolicyDescription;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link DecisionBenchmark}'s workload (the compiled policy, the same {@value DecisionBenchmark#CALLS} prepared calls
 * in turn), timed by the deciding thread's CPU time instead of the wall clock: on a machine that other work keeps
 * busy, the time the thread waits for a core does not count. It answers one question JMH's wall time cannot answer
 * on a shared machine: is this JVM's JIT outcome fast or slow? Start it several times (each start is one JIT outcome,
 * like a JMH fork) and compare the per-start medians; the mean of a JMH run remains the published number.
 *
 * <p>It does not replace JMH: there is no blackhole (the outcomes are summed and printed), and the CPU time of the
 * JIT and GC threads is not counted.
 *
 * <p>{@code java -cp benchmarks.jar dev.magistrate.benchmarks.DecisionCpuCheck RULES [ROUNDS [DECISIONS_PER_ROUND]]}:
 * 5 rounds to warm up, then ROUNDS (default 25) rounds of DECISIONS_PER_ROUND (default 2,000,000).
 */
public final class DecisionCpuCheck {

    private DecisionCpuCheck() {
    }

    /** Nanoseconds of CPU time per decision in each measured round, sorted; the sum of outcomes keeps the work alive. */
    record Result(double[] nsPerDecision, long outcomeSum) {
        double median() {
            return nsPerDecision[nsPerDecision.length / 2];
        }
    }

    static Result run(int rules, int rounds, long decisionsPerRound) {
        PolicyDescription policy = PolicyDescription.of(rules);
        try (DecisionEngine decider = Engines.create("magistrate", policy)) {
            List<Call> calls = policy.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED);
            Object[] inputs = new Object[DecisionBenchmark.CALLS];
            for (int i = 0; i < inputs.length; i++) inputs[i] = decider.prepare(calls.get(i));
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            double[] measured = new double[rounds];
            long sum = 0;
            int next = 0;
            for (int round = -5; round < rounds; round++) {
                long start = threads.getCurrentThreadCpuTime();
                for (long i = 0; i < decisionsPerRound; i++) sum += decider.decide(inputs[next++ & (DecisionBenchmark.CALLS - 1)]).ordinal();
                long cpu = threads.getCurrentThreadCpuTime() - start;
                if (round >= 0) measured[round] = cpu / (double) decisionsPerRound;
            }
            Arrays.sort(measured);
            return new Result(measured, sum);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        int rules = Integer.parseInt(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        long perRound = args.length > 2 ? Long.parseLong(args[2]) : 2_000_000L;
        Result r = run(rules, rounds, perRound);
        double[] ns = r.nsPerDecision();
        System.out.printf(Locale.ROOT, "rules=%d CPU ns per decision over %d rounds: min %.1f median %.1f max %.1f (outcome sum %d)%n",
                rules, rounds, ns[0], r.median(), ns[ns.length - 1], r.outcomeSum());
    }
}
