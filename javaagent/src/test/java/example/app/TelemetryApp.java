package example.app;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * An application with OpenTelemetry of its own, under the Magistrate agent. {@code sdk}: its own SDK, set as the global
 * instance after the agent started, with an exporter that prints each span as a {@code SPAN} line and each metric point as
 * a {@code METRIC} line. {@code api}: the API only, served by the OpenTelemetry Java agent, which exports.
 * Either way its governed calls run inside its own span, printed as {@code APP-SPAN trace span}.
 */
public class TelemetryApp {

    public static void main(String[] args) {
        // The SDK's classes are touched only in sdk mode: in api mode the class path has the API alone.
        Runnable atEnd = args[0].equals("sdk") ? Sdk.install() : () -> { };
        Span request = GlobalOpenTelemetry.getTracer("example.app").spanBuilder("app request").startSpan();
        System.out.println("APP-SPAN " + request.getSpanContext().getTraceId() + " " + request.getSpanContext().getSpanId());
        try (Scope ignored = request.makeCurrent()) {
            TelemetryTools.calls();
        } finally {
            request.end();
        }
        atEnd.run();
    }

    /** The application's own SDK, set as the global instance (after the agent started); at the end, its metric points. */
    static final class Sdk {
        static Runnable install() {
            InMemoryMetricReader metrics = InMemoryMetricReader.create();
            OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                    .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new PrintingExporter())).build())
                    .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                    .build();
            GlobalOpenTelemetry.set(sdk);
            return () -> {
                for (MetricData m : metrics.collectAllMetrics()) {
                    m.getData().getPoints().forEach(p -> System.out.println("METRIC " + m.getName() + " " + m.getUnit() + " "
                            + sorted(p.getAttributes().asMap()) + " " + (p instanceof LongPointData l ? "value=" + l.getValue()
                            : p instanceof HistogramPointData h ? "count=" + h.getCount() : p)));
                }
                sdk.close();
            };
        }
    }

    private static Map<String, String> sorted(Map<AttributeKey<?>, Object> attributes) {
        Map<String, String> out = new TreeMap<>();
        attributes.forEach((k, v) -> out.put(k.getKey(), String.valueOf(v)));
        return out;
    }

    /** One line per finished span: name, ids, parent, attributes and event names. */
    static final class PrintingExporter implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            for (SpanData s : spans) {
                System.out.println("SPAN " + s.getName() + " trace=" + s.getTraceId() + " id=" + s.getSpanId() + " parent=" + s.getParentSpanId()
                        + " scope=" + s.getInstrumentationScopeInfo().getName() + " attrs=" + sorted(s.getAttributes().asMap())
                        + " events=" + s.getEvents().stream().map(e -> e.getName() + sorted(e.getAttributes().asMap())).toList());
            }
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
