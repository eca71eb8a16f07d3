package dev.magistrate.benchmarks;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Execution;
import dev.magistrate.telemetry.OpenTelemetryObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * What reporting a governed T0 call costs: {@code Magistrate.admit} and {@code completed} (decision, six audit entries,
 * HMAC warrant issued, verified and consumed) with telemetry {@code off} (the baseline: what an application without the
 * OpenTelemetry API runs), with the API's no-op instance ({@code noop}: the observer's own work, nothing recorded), and
 * with a real SDK ({@code sdk}: four spans through a batch span processor, five instruments, exporters that discard, so
 * the number is Magistrate's and the SDK's work, not a network's). The difference to {@code off} is the price.
 *
 * <p>Each iteration opens a fresh engine in a fresh directory and deletes it after, so that no run writes on a larger
 * audit trail than another, and a long run does not fill the disk. The arguments are non-final fields.
 */
@State(Scope.Thread)
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
public class TelemetryBenchmark {

    @Param({"off", "noop", "sdk"})
    public String telemetry;

    private Path dir;
    private OpenTelemetrySdk sdk;
    private Magistrate magistrate;
    private String service = "web";
    private int instances = 12;

    @Setup(Level.Iteration)
    public void open() throws IOException {
        System.setProperty("chronicle.analytics.disable", "true");
        dir = Files.createTempDirectory("magistrate-telemetry-bench-");
        Files.writeString(dir.resolve("policy.yaml"), GovernedCallSetup.POLICY);
        AuditObserver observer = switch (telemetry) {
            case "off" -> AuditObserver.NONE;
            case "noop" -> OpenTelemetryObserver.of(OpenTelemetry.noop());
            case "sdk" -> OpenTelemetryObserver.of(sdk = discardingSdk());
            default -> throw new IllegalArgumentException(telemetry);
        };
        magistrate = Magistrate.open(MagistrateSettings.builder().policy(dir.resolve("policy.yaml")).auditDirectory(dir.resolve("audit"))
                .keysDirectory(dir.resolve("keys")).agentId("benchmark").telemetry(observer).build());
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        magistrate.close();
        if (sdk != null) sdk.close();
        sdk = null;
        BenchFiles.deleteTree(dir);
    }

    @Benchmark
    public Execution governedCall() {
        Execution run = magistrate.admit(magistrate.intent("bench_noop").arg("service", service).arg("instances", instances).build());
        run.completed(instances);
        return run;
    }

    private static OpenTelemetrySdk discardingSdk() {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(new DiscardingSpans()).build()).build())
                .setMeterProvider(SdkMeterProvider.builder()
                        .registerMetricReader(PeriodicMetricReader.builder(new DiscardingMetrics()).setInterval(Duration.ofSeconds(1)).build()).build())
                .build();
    }

    private static final class DiscardingSpans implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }

    private static final class DiscardingMetrics implements MetricExporter {
        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public CompletableResultCode export(Collection<MetricData> metrics) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
