package dev.magistrate.benchmarks;

import dev.magistrate.annotations.GovernedAction;

/**
 * The tool the governed-call benchmark calls: the same body with and without
 * {@code @GovernedAction}, so the difference is what governing costs.
 */
public class GovernedTool {

    /** Governed; the benchmark policy allows it at T0. */
    @GovernedAction("bench_noop")
    public long scaleGoverned(String service, int instances) {
        return body(service, instances);
    }

    /** The same method, not governed: the baseline. */
    public long scalePlain(String service, int instances) {
        return body(service, instances);
    }

    /** Governed; the benchmark policy denies it. Proves that the agent is really intercepting. */
    @GovernedAction("bench_denied")
    public long scaleDenied(String service, int instances) {
        return body(service, instances);
    }

    private static long body(String service, int instances) {
        return (long) service.length() * 31 + instances;
    }
}
