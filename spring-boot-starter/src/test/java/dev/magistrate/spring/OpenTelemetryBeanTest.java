package dev.magistrate.spring;

import dev.magistrate.annotations.CallDeniedException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Spring Boot makes an OpenTelemetry bean and does not set it as the global instance: the starter hands that bean to the
 * engine, so governed bean methods appear as spans under the application's span. {@code magistrate.telemetry=off} stops it.
 */
class OpenTelemetryBeanTest {

    @TempDir
    Path tmp;

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();

    private ApplicationContextRunner runner(String... properties) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, MagistrateAutoConfigurationTest.POLICY);
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(MagistrateAutoConfiguration.class))
                .withBean(OpsTools.class)
                .withBean(OpenTelemetry.class, () -> sdk)
                .withPropertyValues("magistrate.policy=" + file, "magistrate.audit.dir=" + tmp.resolve("audit"),
                        "magistrate.keys.dir=" + tmp.resolve("keys"), "magistrate.agent.id=spring-ops")
                .withPropertyValues(properties);
    }

    private static String attr(SpanData s, String key) {
        return s.getAttributes().get(AttributeKey.stringKey(key));
    }

    @Test
    void governedBeanMethodsAreSpansUnderTheApplicationsSpanInItsOpenTelemetryBean() throws Exception {
        runner().run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            Span request = context.getBean(OpenTelemetry.class).getTracer("app").spanBuilder("chat turn").startSpan();
            try (Scope ignored = request.makeCurrent()) {
                assertEquals("web now runs 25 instances", tools.scale("web", 25, "real traffic needs 25"));
                assertThrows(CallDeniedException.class, () -> tools.scale("web", 200, "CPU at 97%"));
            } finally {
                request.end();
            }
            assertSpans(); // here: closing the context shuts the SDK down, and the in-memory exporter forgets its spans
        });
    }

    private void assertSpans() {
        SpanData app = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("chat turn")).findFirst().orElseThrow();
        List<SpanData> calls = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("magistrate.call")).toList();
        assertEquals(2, calls.size(), spans.getFinishedSpanItems()::toString);
        for (SpanData call : calls) {
            assertEquals(app.getSpanId(), call.getParentSpanId(), "a child of the application's span: " + call);
            assertEquals("scale_service", attr(call, "magistrate.action"));
            assertEquals("spring-ops", attr(call, "magistrate.agent"));
        }
        assertEquals(List.of("completed", "denied"), calls.stream().map(c -> attr(c, "magistrate.outcome")).sorted().toList());
        assertFalse(spans.getFinishedSpanItems().toString().contains("real traffic"), "a justification (an argument) was exported");
    }

    @Test
    void telemetryOffReportsNothingToTheBean() throws Exception {
        runner("magistrate.telemetry=off").run(context -> {
            assertEquals("web now runs 25 instances", context.getBean(OpsTools.class).scale("web", 25, "real traffic needs 25"));
            assertEquals(List.of(), spans.getFinishedSpanItems());
        });
    }
}
