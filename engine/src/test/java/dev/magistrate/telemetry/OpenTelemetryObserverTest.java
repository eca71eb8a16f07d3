package dev.magistrate.telemetry;

import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.intent.Intent;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Governed calls through a real engine (policy, Chronicle audit log on disk, signed warrants, the programmatic approval
 * backend) reported to a real OpenTelemetry SDK with in-memory exporters: span names, the parent/child relation to the
 * application's span, attributes, metric points, and no argument value anywhere.
 */
class OpenTelemetryObserverTest {

    private static final String SECRET_ARG = "customer-4111-1111-1111-1111";
    private static final String SECRET_RESULT = "refund-token-SECRET-77";

    @TempDir
    Path tmp;

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
    private OpenTelemetrySdk sdk;

    @BeforeEach
    void sdk() {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .build();
    }

    @AfterEach
    void closeSdk() {
        sdk.close();
        GlobalOpenTelemetry.resetForTest();
    }

    private MagistrateSettings.Builder settings() throws Exception {
        Files.writeString(tmp.resolve("policy.yaml"), """
                policies:
                  - name: reads
                    condition: "action == 'health_check'"
                    risk_tier: T0
                  - name: refunds need a person
                    condition: "action == 'refund'"
                    risk_tier: T1
                    timeout: "60s"
                  - name: no drops
                    condition: "action == 'drop_table'"
                    effect: deny
                    reason: "tables are never dropped by an agent"
                """);
        Files.writeString(tmp.resolve("approvers.yaml"), "approvers:\n  - id: alice\n    roles: [finance]\n");
        return MagistrateSettings.builder().policy(tmp.resolve("policy.yaml")).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).approvals(ProgrammaticApprovalBackend.NAME).approvers(tmp.resolve("approvers.yaml"))
                .agentId("ops-agent");
    }

    private SpanData span(String name) {
        List<SpanData> named = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
        assertEquals(1, named.size(), () -> "one " + name + " span among " + names());
        return named.get(0);
    }

    private List<String> names() {
        return spans.getFinishedSpanItems().stream().map(SpanData::getName).toList();
    }

    private static void assertChildOf(SpanData parent, SpanData child) {
        assertEquals(parent.getTraceId(), child.getTraceId(), child.getName() + " is in " + parent.getName() + "'s trace");
        assertEquals(parent.getSpanId(), child.getParentSpanId(), child.getName() + " is a child of " + parent.getName());
    }

    private static String attr(SpanData s, String key) {
        return s.getAttributes().get(AttributeKey.stringKey(key));
    }

    /** Every attribute value of every span and span event, as text. */
    private String everythingExported() {
        StringBuilder sb = new StringBuilder();
        for (SpanData s : spans.getFinishedSpanItems()) {
            sb.append(s.getName()).append(' ').append(s.getAttributes()).append(' ').append(s.getStatus()).append('\n');
            for (EventData e : s.getEvents()) sb.append(e.getName()).append(' ').append(e.getAttributes()).append('\n');
        }
        for (MetricData m : metrics.collectAllMetrics()) sb.append(m).append('\n');
        return sb.toString();
    }

    private MetricData metric(String name) {
        return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }

    private static long count(MetricData counter, Attributes where) {
        return counter.getLongSumData().getPoints().stream().filter(p -> p.getAttributes().equals(where)).mapToLong(LongPointData::getValue).sum();
    }

    private static long histogramCount(MetricData histogram, Attributes where) {
        return histogram.getHistogramData().getPoints().stream().filter(p -> p.getAttributes().equals(where))
                .mapToLong(HistogramPointData::getCount).sum();
    }

    @Test
    void aT0CallIsACallSpanUnderTheApplicationsSpanWithItsDecisionAndExecution() throws Exception {
        Span request = sdk.getTracer("app").spanBuilder("handle request").startSpan();
        String intentId;
        try (Magistrate m = Magistrate.open(settings().telemetry(OpenTelemetryObserver.of(sdk)).build());
             Scope ignored = request.makeCurrent()) {
            Execution run = m.admit(m.intent("health_check").arg("service", SECRET_ARG).build());
            intentId = run.intentId();
            run.completed(SECRET_RESULT);
        } finally {
            request.end();
        }
        SpanData app = span("handle request"), call = span("magistrate.call"), decision = span("magistrate.decision"),
                execution = span("magistrate.execution");
        assertChildOf(app, call);
        assertChildOf(call, decision);
        assertChildOf(call, execution);
        assertFalse(names().contains("magistrate.approval"), "a T0 call waits for no one: " + names());
        assertEquals(intentId, attr(call, "magistrate.intent.id"));
        assertEquals("health_check", attr(call, "magistrate.action"));
        assertEquals("ops-agent", attr(call, "magistrate.agent"));
        assertEquals("T0", attr(call, "magistrate.tier"));
        assertEquals("allow", attr(call, "magistrate.effect"));
        assertEquals("completed", attr(call, "magistrate.outcome"));
        assertEquals(List.of("reads"), decision.getAttributes().get(AttributeKey.stringArrayKey("magistrate.rules")));
        assertNotNull(attr(decision, "magistrate.policy.version"));
        assertEquals("completed", attr(execution, "magistrate.outcome"));
        assertTrue(call.getEndEpochNanos() >= execution.getEndEpochNanos(), "the call ends with its execution");

        String exported = everythingExported();
        assertFalse(exported.contains(SECRET_ARG), "an argument value was exported:\n" + exported);
        assertFalse(exported.contains(SECRET_RESULT), "a result was exported:\n" + exported);
        assertEquals(1, count(metric("magistrate.decisions"), Attributes.of(AttributeKey.stringKey("action"), "health_check",
                AttributeKey.stringKey("tier"), "T0", AttributeKey.stringKey("effect"), "allow")));
        assertEquals(1, histogramCount(metric("magistrate.calls"), Attributes.of(AttributeKey.stringKey("action"), "health_check",
                AttributeKey.stringKey("outcome"), "completed")));
        MetricData append = metric("magistrate.audit.append.duration");
        assertEquals("s", append.getUnit());
        // Two appends: the call granted (submitted, decided, started in one entry), then its outcome.
        for (String event : List.of("call_granted", "execution_completed")) {
            assertEquals(1, histogramCount(append, Attributes.of(AttributeKey.stringKey("event"), event)), event);
        }
        for (String event : List.of("intent_submitted", "decision", "execution_started", "warrant_issued", "warrant_verified")) {
            assertEquals(0, histogramCount(append, Attributes.of(AttributeKey.stringKey("event"), event)), event);
        }
    }

    @Test
    void anApprovedCallShowsItsWaitForApprovalAsASpanWithTheVoteAsAnEvent() throws Exception {
        try (Magistrate m = Magistrate.open(settings().telemetry(OpenTelemetryObserver.of(sdk)).build())) {
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            Intent refund = m.intent("refund").arg("account", SECRET_ARG).arg("amount", 120).build();
            Span request = sdk.getTracer("app").spanBuilder("support ticket").startSpan();
            // The agent's thread, with the application's span current, blocks in admit until someone approves.
            CompletableFuture<String> agent = CompletableFuture.supplyAsync(() -> {
                try (Scope ignored = request.makeCurrent()) {
                    Execution run = m.admit(refund);
                    run.completed(SECRET_RESULT);
                    return run.warrant().approvedBy().toString();
                }
            });
            assertNotNull(desk.awaitRequest(refund.id(), Duration.ofSeconds(60)));
            assertTrue(desk.approve(refund.id(), "alice").accepted());
            assertEquals("[alice]", agent.get(60, TimeUnit.SECONDS));
            request.end();
        }
        SpanData app = span("support ticket"), call = span("magistrate.call"), approval = span("magistrate.approval");
        assertChildOf(app, call);
        assertChildOf(call, approval);
        assertChildOf(call, span("magistrate.execution"));
        assertEquals("refund", attr(call, "magistrate.action"));
        assertEquals("T1", attr(call, "magistrate.tier"));
        assertEquals("approve", attr(call, "magistrate.effect"));
        assertEquals("completed", attr(call, "magistrate.outcome"));
        assertEquals("granted", attr(approval, "magistrate.outcome"));
        assertEquals("programmatic", attr(approval, "magistrate.approval.backend"));
        assertEquals(1L, approval.getAttributes().get(AttributeKey.longKey("magistrate.approval.required")));
        List<EventData> votes = approval.getEvents();
        assertEquals(1, votes.size(), votes::toString);
        assertEquals("magistrate.vote", votes.get(0).getName());
        assertEquals("approve", votes.get(0).getAttributes().get(AttributeKey.stringKey("magistrate.vote.verdict")));
        assertEquals(Boolean.TRUE, votes.get(0).getAttributes().get(AttributeKey.booleanKey("magistrate.vote.accepted")));
        assertTrue(approval.getStartEpochNanos() <= approval.getEndEpochNanos());

        String exported = everythingExported();
        assertFalse(exported.contains(SECRET_ARG), "an argument value was exported:\n" + exported);
        assertFalse(exported.contains("alice"), "an approver's identity was exported:\n" + exported);
        MetricData wait = metric("magistrate.approval.wait");
        assertEquals("s", wait.getUnit());
        assertEquals(1, histogramCount(wait, Attributes.of(AttributeKey.stringKey("action"), "refund", AttributeKey.stringKey("outcome"), "granted")));
        assertEquals(1, count(metric("magistrate.decisions"), Attributes.of(AttributeKey.stringKey("action"), "refund",
                AttributeKey.stringKey("tier"), "T1", AttributeKey.stringKey("effect"), "approve")));
    }

    @Test
    void deniedCallsEndTheirSpanWithTheStageThatRefusedThem() throws Exception {
        Span request = sdk.getTracer("app").spanBuilder("agent turn").startSpan();
        String byPolicy, byApprover;
        try (Magistrate m = Magistrate.open(settings().telemetry(OpenTelemetryObserver.of(sdk)).build());
             Scope ignored = request.makeCurrent()) {
            Intent drop = m.intent("drop_table").arg("table", SECRET_ARG).build();
            byPolicy = drop.id();
            assertThrows(DeniedException.class, () -> m.admit(drop));
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            Intent refund = m.intent("refund").arg("account", SECRET_ARG).build();
            byApprover = refund.id();
            CompletableFuture<DeniedException> agent = CompletableFuture.supplyAsync(() -> assertThrows(DeniedException.class, () -> m.admit(refund)));
            desk.awaitRequest(refund.id(), Duration.ofSeconds(60));
            assertTrue(desk.deny(refund.id(), "alice", "not for " + SECRET_ARG).accepted());
            agent.get(60, TimeUnit.SECONDS);
        } finally {
            request.end();
        }
        Map<String, SpanData> calls = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("magistrate.call"))
                .collect(Collectors.toMap(s -> attr(s, "magistrate.intent.id"), s -> s));
        SpanData policy = calls.get(byPolicy), approver = calls.get(byApprover);
        assertChildOf(span("agent turn"), policy);
        assertEquals("denied", attr(policy, "magistrate.outcome"));
        assertEquals("policy", attr(policy, "magistrate.denial.stage"));
        assertEquals("no drops", attr(policy, "magistrate.denial.rule"));
        assertEquals("deny", attr(policy, "magistrate.effect"));
        assertEquals(StatusCode.UNSET, policy.getStatus().getStatusCode(), "a denial is governance working, not an error");
        assertEquals("denied", attr(approver, "magistrate.outcome"));
        assertEquals("approval", attr(approver, "magistrate.denial.stage"));
        assertNull(attr(approver, "magistrate.denial.rule"));
        // Without a span current on the agent's own thread, the call starts its own trace.
        assertEquals("0000000000000000", approver.getParentSpanId());
        assertFalse(names().contains("magistrate.execution"), "nothing denied runs: " + names());

        String exported = everythingExported();
        assertFalse(exported.contains(SECRET_ARG), "an argument value or a comment quoting it was exported:\n" + exported);
        assertFalse(exported.contains("never dropped"), "a denial reason was exported:\n" + exported);
        MetricData denials = metric("magistrate.denials");
        assertEquals(1, count(denials, Attributes.of(AttributeKey.stringKey("action"), "drop_table", AttributeKey.stringKey("stage"), "policy")));
        assertEquals(1, count(denials, Attributes.of(AttributeKey.stringKey("action"), "refund", AttributeKey.stringKey("stage"), "approval")));
        assertEquals(1, histogramCount(metric("magistrate.approval.wait"),
                Attributes.of(AttributeKey.stringKey("action"), "refund", AttributeKey.stringKey("outcome"), "denied")));
    }

    @Test
    void theGlobalInstanceIsUsedOnceTheApplicationSetsItAndNeverFixedBefore() throws Exception {
        GlobalOpenTelemetry.resetForTest();
        try (Magistrate m = Magistrate.open(settings().build())) { // the default: telemetry on, through GlobalOpenTelemetry
            m.admit(m.intent("health_check").build()).completed("ok");
            // The engine started before the application's SDK (as under -javaagent): the set must still succeed.
            GlobalOpenTelemetry.set(sdk);
            m.admit(m.intent("health_check").build()).completed("ok");
        }
        List<SpanData> calls = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("magistrate.call")).toList();
        assertEquals(1, calls.size(), "the call made after the SDK was set, only: " + names());
    }

    @Test
    void telemetryOffReportsNothingEvenWithAGlobalInstance() throws Exception {
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.set(sdk);
        try (Magistrate m = Magistrate.open(settings().telemetry(false).build())) {
            m.admit(m.intent("health_check").build()).completed("ok");
            assertThrows(DeniedException.class, () -> m.admit(m.intent("drop_table").build()));
        }
        assertEquals(List.of(), names());
        assertTrue(metrics.collectAllMetrics().isEmpty(), () -> metrics.collectAllMetrics().toString());
    }

    @Test
    void anObserverThatThrowsChangesNoDecision() throws Exception {
        Collection<String> seen = new ArrayList<>();
        try (Magistrate m = Magistrate.open(settings().telemetry((intentId, payload, nanos) -> {
            seen.add(payload.type().name());
            throw new IllegalStateException("telemetry broke");
        }).build())) {
            m.admit(m.intent("health_check").build()).completed("ok");
            DeniedException denied = assertThrows(DeniedException.class, () -> m.admit(m.intent("drop_table").build()));
            assertEquals("policy", denied.stage().wireName());
        }
        // Told once per entry: the T0 call's CALL_GRANTED and outcome, the denied call's submission, decision and denial.
        assertEquals(List.of("CALL_GRANTED", "EXECUTION_COMPLETED", "INTENT_SUBMITTED", "DECISION", "INTENT_DENIED"), seen);
    }
}
