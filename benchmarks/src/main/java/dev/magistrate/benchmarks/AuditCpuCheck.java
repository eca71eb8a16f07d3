package dev.magistrate.benchmarks;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.CheckpointSigner;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link AuditAppendBenchmark}'s workload (the same decision entry, the same raw record) timed by CPU time instead of
 * the wall clock: the appending thread's CPU time per entry (user and system, so the page faults of Chronicle's first
 * write into a page count; waiting for a core does not), and the CPU time the log's own thread spends behind it (the
 * checkpoint file it writes, which the appender no longer waits for). Chained and raw rounds alternate, each on a
 * fresh directory, so that both sides see the same machine. It answers what JMH's wall time cannot on a shared
 * machine: how much work an append is; JMH's numbers remain the published ones.
 *
 * <p>{@code java -cp benchmarks.jar dev.magistrate.benchmarks.AuditCpuCheck [ROUNDS [ENTRIES_PER_ROUND]]}: one round
 * of each to warm up, then ROUNDS (default 9) of ENTRIES_PER_ROUND (default 200,000) each.
 */
public final class AuditCpuCheck {

    private AuditCpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int entries = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        AuditAppendBenchmark workload = new AuditAppendBenchmark();
        workload.event();
        AuditEvent event = workload.event;
        byte[] rawRecord = workload.rawRecord;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] chainedCpu = new double[rounds], chainedWall = new double[rounds], behindCpu = new double[rounds];
        double[] rawCpu = new double[rounds], rawWall = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            Path dir = Files.createTempDirectory("magistrate-audit-cpu");
            try {
                ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir.resolve("chained"),
                        "bench.magistrate.dev/audit", CheckpointSigner.fromSeed("bench", new byte[32])));
                long behind0 = logThreadCpu(threads);
                long cpu0 = threads.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
                long sum = 0;
                for (int i = 0; i < entries; i++) sum += log.append(event);
                long cpu = threads.getCurrentThreadCpuTime() - cpu0, wall = System.nanoTime() - wall0;
                long behind = logThreadCpu(threads) - behind0; // before close: the thread ends with it
                log.close();
                if (sum < 0) throw new IllegalStateException();

                SingleChronicleQueue raw = SingleChronicleQueueBuilder.binary(dir.resolve("raw")).rollCycle(RollCycles.FAST_DAILY).build();
                AuditAppendBenchmark.RawWriter writer = new AuditAppendBenchmark.RawWriter(raw);
                long rcpu0 = threads.getCurrentThreadCpuTime(), rwall0 = System.nanoTime();
                for (int i = 0; i < entries; i++) writer.write(rawRecord);
                long rcpu = threads.getCurrentThreadCpuTime() - rcpu0, rwall = System.nanoTime() - rwall0;
                raw.close();
                if (round >= 0) {
                    chainedCpu[round] = cpu / (double) entries;
                    chainedWall[round] = wall / (double) entries;
                    behindCpu[round] = behind / (double) entries;
                    rawCpu[round] = rcpu / (double) entries;
                    rawWall[round] = rwall / (double) entries;
                }
            } finally {
                BenchFiles.deleteTree(dir);
            }
        }
        System.out.printf(Locale.ROOT, "%d rounds of %,d entries; ns per entry, median [min..max]%n", rounds, entries);
        print("chained, appending thread CPU", chainedCpu);
        print("chained, log's own thread CPU", behindCpu);
        print("chained, wall", chainedWall);
        print("raw Chronicle, appending thread CPU", rawCpu);
        print("raw Chronicle, wall", rawWall);
        double[] ratio = new double[rounds];
        for (int i = 0; i < rounds; i++) ratio[i] = chainedCpu[i] / rawCpu[i];
        print("chained / raw, appending thread CPU (per round)", ratio);
    }

    /** CPU time of the log's own threads (the checkpoint timer), summed over those alive now. */
    private static long logThreadCpu(ThreadMXBean threads) {
        long sum = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("magistrate-audit")) sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
        }
        return sum;
    }

    private static void print(String what, double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        System.out.printf(Locale.ROOT, "  %-50s %8.1f  [%.1f..%.1f]%n", what, v[v.length / 2], v[0], v[v.length - 1]);
    }
}
