package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.report.ReportRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's proof that every benchmark still runs: each one once, for a millisecond, no warm-up. The
 * numbers mean nothing and are not looked at beyond "finite and positive"; real runs are
 * {@code benchmarks/run.sh}. The governed-call suite forks one JVM with the built agent, exactly
 * as run.sh does. The report renderer then runs on the JSON these produced.
 */
class BenchmarksSmokeTest {

    @TempDir
    Path dir;

    private static OptionsBuilder once() {
        OptionsBuilder o = new OptionsBuilder();
        o.warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(1))
                .shouldFailOnError(true).shouldDoGC(false).resultFormat(ResultFormatType.JSON);
        return o;
    }

    @Test
    void theCpuTimeCheckDecidesTheBenchmarkCalls() {
        DecisionCpuCheck.Result r = DecisionCpuCheck.run(50, 3, 1_000);
        assertEquals(3, r.nsPerDecision().length);
        for (double ns : r.nsPerDecision()) assertTrue(Double.isFinite(ns) && ns >= 0, "CPU ns per decision " + ns);
        // 8 x 1,000 decisions over the benchmark's mix: some need approval or are denied (ordinal > 0).
        assertTrue(r.outcomeSum() > 0, "outcomes " + r.outcomeSum());
    }

    @Test
    void everySuiteRunsOnceAndTheReportRenders() throws Exception {
        Options inProcess = once()
                .include(DecisionBenchmark.class.getName() + "\\.")
                .include(DecisionBaselineBenchmark.class.getName() + "\\.")
                .include(AuditAppendBenchmark.class.getName() + "\\.")
                .include(WarrantBenchmark.class.getName() + "\\.")
                .include(CompileBenchmark.class.getName() + "\\.")
                .include(TelemetryBenchmark.class.getName() + "\\.")
                .include(WindowBenchmark.class.getName() + "\\.")
                .forks(0)
                .result(dir.resolve("smoke.jmh.json").toString())
                .build();
        Collection<RunResult> results = new Runner(inProcess).run();
        // 21 engine × size pairs, the baseline, 4 audit, 8 warrant, 2 × 2 compile, the hot-swap group and its control (compileNoSwap),
        // 3 telemetry settings, the plain and the windowed policy.
        assertEquals(21 + 1 + 4 + 8 + 4 + 2 + 3 + 2, results.size(), "benchmarks that ran");
        for (RunResult r : results) {
            double score = r.getPrimaryResult().getScore();
            assertTrue(Double.isFinite(score) && score > 0, r.getParams().getBenchmark() + " scored " + score);
        }

        String agent = GovernedCallSetup.agentArgument(dir.resolve("governed"));
        Options governed = once()
                .include(GovernedCallBenchmark.class.getName() + "\\.")
                .forks(1)
                .jvmArgsAppend(agent.split(" "))
                .result(dir.resolve("governed.jmh.json").toString())
                .build();
        Collection<RunResult> governedResults = new Runner(governed).run();
        assertEquals(2, governedResults.size(), "governed and plain call ran under the agent");
        Options threads = once()
                .include(GovernedThreadsBenchmark.class.getName() + "\\.")
                .forks(1)
                .jvmArgsAppend(agent.split(" "))
                .result(dir.resolve("governed-threads.jmh.json").toString())
                .build();
        assertEquals(4, new Runner(threads).run().size(), "governed calls from 1, 2, 8 and 64 threads ran under the agent");

        Files.writeString(dir.resolve("machine.txt"), "smoke test, numbers meaningless\n");
        ReportRenderer.main(new String[] {dir.toString()});
        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| DecisionBenchmark | decide [engine=cedar, rules=50]"), md);
        assertTrue(md.contains("governed T0 call overhead"), md);
        assertTrue(md.contains("| a windowed rule's cost"), md);
        for (int n : new int[] {2, 8, 64}) assertTrue(md.contains("governed T0 calls from " + n + " threads"), md);
        assertTrue(Files.size(dir.resolve("results.png")) > 1000, "a chart was drawn");
    }

    @Test
    void hundredsOfCallsWaitingForApprovalAllEndCorrectly() throws Exception {
        SuspensionCheck.Result r = SuspensionCheck.run(200, Duration.ofSeconds(2), dir.resolve("suspension"));
        assertEquals(java.util.List.of(), r.wrong());
        assertEquals(100, r.granted());
        assertEquals(100, r.timedOut());
    }
}
