package dev.magistrate.benchmarks.report;

/**
 * One measured line of a JMH result: suite (benchmark class), method, parameters, mode, the
 * central value in nanoseconds (p50 in sample mode, the mean otherwise), p99 where sampled, and
 * the threads it ran on.
 */
record Row(String suite, String method, String params, String mode, double centralNs, double meanNs, double p99Ns, double maxNs,
           int threads, long samples) {

    boolean sampled() {
        return "sample".equals(mode);
    }

    String label() {
        return method + (params.isEmpty() ? "" : " [" + params + "]");
    }

    /** Baselines are drawn grey: the floor each suite is read against. */
    boolean baseline() {
        return method.equals("nextInput") || method.startsWith("rawChronicle") || method.equals("plainCall") || method.equals("sha256")
                || method.equals("parseOnly");
    }

    /** A peer engine in the decision suite (drawn in another colour than Magistrate). */
    boolean peer() {
        return suite.equals("DecisionBenchmark") && !params.contains("engine=magistrate");
    }
}
