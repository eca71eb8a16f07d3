package dev.magistrate.benchmarks;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.CheckpointSigner;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One audit entry: Magistrate's hash-chained {@link ChronicleAuditLog#append} (canonical encoding,
 * position and previous-leaf hash, Chronicle write, Merkle leaf, a signed checkpoint every 1,000
 * entries) against the baseline, a raw Chronicle Queue append of the same bytes (what the log
 * writes for that entry), from one and from two threads.
 *
 * <p>The raw append is the floor: Magistrate cannot write to Chronicle faster than Chronicle does;
 * the ratio is the price of the chain. Both queues start empty every iteration (and are deleted
 * after it) so that neither runs on a warmer or larger file, and so that a long run does not fill
 * the disk. Durability is the default, {@code mapped}: survives a process kill, no fsync.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true"})
public class AuditAppendBenchmark {

    private static final byte[] SEED = new byte[32];

    AuditEvent event;
    byte[] rawRecord;
    private Path dir;
    private ChronicleAuditLog log;
    private SingleChronicleQueue raw;
    private ThreadLocal<RawWriter> rawWriter;

    /** One thread's appender and buffer: Chronicle appenders belong to one thread. */
    static final class RawWriter {
        final ExcerptAppender appender;
        final Bytes<?> buffer = Bytes.allocateElasticOnHeap(512);

        RawWriter(SingleChronicleQueue queue) {
            appender = queue.createAppender();
        }

        void write(byte[] record) {
            buffer.clear();
            buffer.write(record);
            appender.writeBytes(buffer);
        }
    }

    @Setup(Level.Trial)
    public void event() {
        System.setProperty("chronicle.analytics.disable", "true");
        // A decision entry as the governor writes it for a T0 call.
        event = AuditEvent.of(AuditEventType.DECISION, "01JDZ3Q8K6M4T5R7X9B2C4D6F8", Instant.now(),
                "action", "refund_order", "tier", "T0", "effect", "allow", "rules", List.of("refund_order-routine"),
                "policy_version", "sha256:4f1e0a9c3b7d2e5f8a6c1b9d0e3f7a2c5b8d1e4f7a0c3b6d9e2f5a8c1b4d7e0a",
                "required_approvals", 0L, "required_roles", List.of(), "mfa", false, "reason", "rule 'refund_order-routine' allows");
        byte[] entry = CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, event);
        rawRecord = new byte[entry.length + 1];
        rawRecord[0] = 'E';
        System.arraycopy(entry, 0, rawRecord, 1, entry.length);
    }

    @Setup(Level.Iteration)
    public void open() throws Exception {
        dir = Files.createTempDirectory("magistrate-bench-audit");
        log = ChronicleAuditLog.open(AuditLogOptions.defaults(dir.resolve("chained"), "bench.magistrate.dev/audit",
                CheckpointSigner.fromSeed("bench", SEED)));
        raw = SingleChronicleQueueBuilder.binary(dir.resolve("raw")).rollCycle(RollCycles.FAST_DAILY).build();
        rawWriter = ThreadLocal.withInitial(() -> new RawWriter(raw));
    }

    @TearDown(Level.Iteration)
    public void close() throws Exception {
        log.close();
        raw.close();
        BenchFiles.deleteTree(dir);
    }

    /** Baseline: the same bytes through a plain Chronicle appender. */
    @Benchmark
    @Threads(1)
    public void rawChronicle() {
        rawWriter.get().write(rawRecord);
    }

    /** The hash-chained, checkpointed append. */
    @Benchmark
    @Threads(1)
    public long chained() {
        return log.append(event);
    }

    @Benchmark
    @Threads(2)
    public void rawChronicle2Threads() {
        rawWriter.get().write(rawRecord);
    }

    @Benchmark
    @Threads(2)
    public long chained2Threads() {
        return log.append(event);
    }
}
