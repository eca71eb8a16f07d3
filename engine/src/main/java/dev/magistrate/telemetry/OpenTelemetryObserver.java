package dev.magistrate.telemetry;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.log.MagistrateLog;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Governed calls as OpenTelemetry spans and metrics, read from the entries the governor appends to the audit trail
 * (docs/observability.md): a {@code magistrate.call} span, a child of the span current on the calling thread when the
 * intent was submitted, with children {@code magistrate.decision}, {@code magistrate.approval} (votes as its events) and
 * {@code magistrate.execution}; and the meters of the Spring starter's Micrometer support, under the same names.
 *
 * <p>Only names and outcomes are exported: intent id, action, agent, tier, effect, rule names, policy version, denial
 * stage, vote verdicts, an exception's class. Never argument values, results, reasons or comments (they can quote
 * arguments), approver identities, warrants or keys.
 */
public final class OpenTelemetryObserver implements AuditObserver {

    static final String INSTRUMENTATION_SCOPE = "dev.magistrate";
    /** Calls followed at once; past it, calls idle for an hour are ended as abandoned, and new ones are not followed. */
    static final int MAX_OPEN_CALLS = 10_000;
    private static final long ABANDONED_AFTER_NANOS = TimeUnit.HOURS.toNanos(1);

    static final AttributeKey<String> INTENT_ID = AttributeKey.stringKey("magistrate.intent.id");
    static final AttributeKey<String> PARENT_INTENT_ID = AttributeKey.stringKey("magistrate.intent.parent_id");
    static final AttributeKey<String> ACTION = AttributeKey.stringKey("magistrate.action");
    static final AttributeKey<String> AGENT = AttributeKey.stringKey("magistrate.agent");
    static final AttributeKey<String> TIER = AttributeKey.stringKey("magistrate.tier");
    static final AttributeKey<String> EFFECT = AttributeKey.stringKey("magistrate.effect");
    static final AttributeKey<List<String>> RULES = AttributeKey.stringArrayKey("magistrate.rules");
    static final AttributeKey<String> POLICY_VERSION = AttributeKey.stringKey("magistrate.policy.version");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("magistrate.outcome");
    static final AttributeKey<String> DENIAL_STAGE = AttributeKey.stringKey("magistrate.denial.stage");
    static final AttributeKey<String> DENIAL_RULE = AttributeKey.stringKey("magistrate.denial.rule");
    static final AttributeKey<String> BACKEND = AttributeKey.stringKey("magistrate.approval.backend");
    static final AttributeKey<Long> APPROVALS_REQUIRED = AttributeKey.longKey("magistrate.approval.required");
    static final AttributeKey<String> VERDICT = AttributeKey.stringKey("magistrate.vote.verdict");
    static final AttributeKey<Boolean> VOTE_ACCEPTED = AttributeKey.booleanKey("magistrate.vote.accepted");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");

    // Metric attributes: the tag names of the Spring starter's Micrometer meters, so that both read the same.
    static final AttributeKey<String> M_ACTION = AttributeKey.stringKey("action");
    static final AttributeKey<String> M_TIER = AttributeKey.stringKey("tier");
    static final AttributeKey<String> M_EFFECT = AttributeKey.stringKey("effect");
    static final AttributeKey<String> M_STAGE = AttributeKey.stringKey("stage");
    static final AttributeKey<String> M_OUTCOME = AttributeKey.stringKey("outcome");
    static final AttributeKey<String> M_EVENT = AttributeKey.stringKey("event");

    private final Supplier<OpenTelemetry> source;
    private volatile Instruments instruments;
    private final Map<String, Call> calls = new ConcurrentHashMap<>();
    private volatile boolean warnedFull;

    private OpenTelemetryObserver(Supplier<OpenTelemetry> source) {
        this.source = source;
    }

    /** Reports to this instance: for library users who build their own SDK and do not register it globally. */
    public static AuditObserver of(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        return new OpenTelemetryObserver(() -> openTelemetry);
    }

    /**
     * Reports to {@link GlobalOpenTelemetry} once the application (or the OpenTelemetry Java agent) has set it; calls made
     * before are not reported. It never calls {@code GlobalOpenTelemetry.get()} before then: that would fix the global
     * instance to a no-op and make the application's own {@code set} fail.
     */
    public static AuditObserver global() {
        return new OpenTelemetryObserver(() -> GlobalOpenTelemetry.isSet() ? GlobalOpenTelemetry.get() : null);
    }

    /** The tracer and meters, made once the OpenTelemetry instance is there. */
    private record Instruments(Tracer tracer, LongCounter decisions, LongCounter denials, DoubleHistogram approvalWait,
                               DoubleHistogram calls, DoubleHistogram auditAppend) {

        static Instruments of(OpenTelemetry otel) {
            Meter meter = otel.getMeter(INSTRUMENTATION_SCOPE);
            return new Instruments(otel.getTracer(INSTRUMENTATION_SCOPE),
                    meter.counterBuilder("magistrate.decisions").setUnit("{decision}")
                            .setDescription("Policy decisions on governed calls, by tier and effect").build(),
                    meter.counterBuilder("magistrate.denials").setUnit("{denial}")
                            .setDescription("Governed calls denied, by the stage that refused them").build(),
                    meter.histogramBuilder("magistrate.approval.wait").setUnit("s")
                            .setDescription("Time a governed call waited for its approvers, granted or denied")
                            .setExplicitBucketBoundariesAdvice(List.of(1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0))
                            .build(),
                    meter.histogramBuilder("magistrate.calls").setUnit("s")
                            .setDescription("Duration of governed calls' execution, completed or failed")
                            .setExplicitBucketBoundariesAdvice(List.of(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
                            .build(),
                    meter.histogramBuilder("magistrate.audit.append.duration").setUnit("s")
                            .setDescription("Time to append one entry to the audit trail, durable as configured, by entry type")
                            .setExplicitBucketBoundariesAdvice(List.of(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                    0.01, 0.05, 0.1, 0.5, 1.0))
                            .build());
        }
    }

    private Instruments instruments() {
        Instruments i = instruments;
        if (i != null) return i;
        OpenTelemetry otel = source.get();
        if (otel == null) return null;
        synchronized (this) {
            if (instruments == null) instruments = Instruments.of(otel);
            return instruments;
        }
    }

    /** One governed call being followed: its spans, and when its steps began. Guarded by itself. */
    private static final class Call {
        final String action;
        final Span span;
        final Context context;
        Span decision;
        Span approval;
        long approvalStartedNanos;
        Span execution;
        long executionStartedNanos;
        long lastEventNanos = System.nanoTime();

        Call(String action, Span span, Context context) {
            this.action = action;
            this.span = span;
            this.context = context;
        }
    }

    @Override
    public void appended(String intentId, AuditPayload payload, long appendNanos) {
        Instruments in = instruments();
        if (in == null) return;
        in.auditAppend.record(appendNanos / 1e9, Attributes.of(M_EVENT, payload.type().name().toLowerCase(Locale.ROOT)));
        // One append, timed once; a T0 grant's CALL_GRANTED then opens, decides and starts the call as its three entries did.
        for (AuditPayload step : payload.steps()) follow(in, intentId, step);
    }

    private void follow(Instruments in, String intentId, AuditPayload payload) {
        if (payload instanceof AuditPayload.IntentSubmitted submitted) {
            submitted(in, intentId, submitted);
            return;
        }
        Call call = calls.get(intentId);
        if (call == null) return; // submitted before telemetry was there, not followed, or a warrant from elsewhere
        synchronized (call) {
            call.lastEventNanos = System.nanoTime();
            if (step(in, call, payload)) calls.remove(intentId, call);
        }
    }

    private void submitted(Instruments in, String intentId, AuditPayload.IntentSubmitted p) {
        if (calls.size() >= MAX_OPEN_CALLS && !endAbandoned()) {
            if (!warnedFull) {
                warnedFull = true;
                MagistrateLog.warn(OpenTelemetryObserver.class, MAX_OPEN_CALLS + " governed calls are open at once: new calls get no"
                        + " spans or metrics until some end", null);
            }
            return;
        }
        // The application's span on the calling thread: the intent is submitted on the thread that makes the call.
        Context parent = Context.current();
        var builder = in.tracer.spanBuilder("magistrate.call").setParent(parent)
                .setAttribute(INTENT_ID, intentId).setAttribute(ACTION, p.action());
        if (p.agent() != null) builder.setAttribute(AGENT, p.agent());
        if (p.parentIntentId() != null) builder.setAttribute(PARENT_INTENT_ID, p.parentIntentId());
        Span span = builder.startSpan();
        Call call = new Call(p.action(), span, parent.with(span));
        call.decision = in.tracer.spanBuilder("magistrate.decision").setParent(call.context).startSpan();
        calls.put(intentId, call);
    }

    /** Ends, as abandoned, calls with no entry for an hour (a warrant taken and never used); true when room was made. */
    private boolean endAbandoned() {
        long now = System.nanoTime();
        calls.forEach((id, call) -> {
            synchronized (call) {
                if (now - call.lastEventNanos > ABANDONED_AFTER_NANOS && calls.remove(id, call)) {
                    endOpen(call, "abandoned");
                    call.span.setAttribute(OUTCOME, "abandoned");
                    call.span.end();
                }
            }
        });
        return calls.size() < MAX_OPEN_CALLS;
    }

    /** Applies one entry to the call's spans and the meters; true when the call has ended. */
    private static boolean step(Instruments in, Call call, AuditPayload payload) {
        if (payload instanceof AuditPayload.Decision d) {
            String effect = d.effect();
            call.span.setAttribute(TIER, d.tier()).setAttribute(EFFECT, effect);
            if (call.decision != null) {
                call.decision.setAttribute(TIER, d.tier()).setAttribute(EFFECT, effect).setAttribute(RULES, d.rules());
                if (d.policyVersion() != null) call.decision.setAttribute(POLICY_VERSION, d.policyVersion());
                call.decision.end();
                call.decision = null;
            }
            in.decisions.add(1, Attributes.of(M_ACTION, call.action, M_TIER, d.tier(), M_EFFECT, effect));
            return false;
        }
        if (payload instanceof AuditPayload.ApprovalRequested r) {
            call.approval = in.tracer.spanBuilder("magistrate.approval").setParent(call.context)
                    .setAttribute(BACKEND, r.backend()).setAttribute(APPROVALS_REQUIRED, r.requiredApprovals()).startSpan();
            call.approvalStartedNanos = System.nanoTime();
            return false;
        }
        if (payload instanceof AuditPayload.Vote v) {
            if (call.approval != null) {
                call.approval.addEvent("magistrate.vote", Attributes.of(VERDICT, v.verdict(), VOTE_ACCEPTED, v.accepted()));
            }
            return false;
        }
        if (payload instanceof AuditPayload.ArgumentsEdited e) {
            // The edit is decided again: the tier in force is the edited call's. The values stay out.
            if (call.approval != null) call.approval.addEvent("magistrate.arguments_edited", Attributes.of(TIER, e.tier()));
            call.span.setAttribute(TIER, e.tier());
            return false;
        }
        if (payload instanceof AuditPayload.WarrantIssued) {
            endApproval(in, call, "granted", true);
            return false;
        }
        if (payload instanceof AuditPayload.ExecutionStarted) {
            call.execution = in.tracer.spanBuilder("magistrate.execution").setParent(call.context).startSpan();
            call.executionStartedNanos = System.nanoTime();
            return false;
        }
        if (payload instanceof AuditPayload.ExecutionCompleted) {
            ran(in, call, "completed", null);
            return true;
        }
        if (payload instanceof AuditPayload.ExecutionFailed f) {
            ran(in, call, "failed", f.exception());
            return true;
        }
        if (payload instanceof AuditPayload.IntentDenied d) {
            // A policy denial names its rule; other stages name an approver or a component, which stay out.
            denied(in, call, "denied", d.stage(), "policy".equals(d.stage()) ? d.by() : null);
            return true;
        }
        if (payload instanceof AuditPayload.IntentTimedOut) {
            denied(in, call, "timed_out", "approval", null);
            return true;
        }
        if (payload instanceof AuditPayload.InformationRequested) {
            denied(in, call, "needs_information", "needs_information", null);
            return true;
        }
        if (payload instanceof AuditPayload.WarrantRejected) {
            denied(in, call, "denied", "verification", null);
            return true;
        }
        return false; // WARRANT_VERIFIED: the execution span starts with the next entry
    }

    private static void endApproval(Instruments in, Call call, String outcome, boolean granted) {
        if (call.approval == null) return;
        call.approval.setAttribute(OUTCOME, outcome);
        call.approval.end();
        call.approval = null;
        in.approvalWait.record((System.nanoTime() - call.approvalStartedNanos) / 1e9,
                Attributes.of(M_ACTION, call.action, M_OUTCOME, granted ? "granted" : "denied"));
    }

    private static void ran(Instruments in, Call call, String outcome, String exceptionClass) {
        if (call.execution != null) {
            call.execution.setAttribute(OUTCOME, outcome);
            if (exceptionClass != null) {
                call.execution.setAttribute(EXCEPTION_TYPE, exceptionClass).setStatus(StatusCode.ERROR);
            }
            call.execution.end();
            call.execution = null;
            in.calls.record((System.nanoTime() - call.executionStartedNanos) / 1e9, Attributes.of(M_ACTION, call.action, M_OUTCOME, outcome));
        }
        call.span.setAttribute(OUTCOME, outcome);
        if (exceptionClass != null) call.span.setStatus(StatusCode.ERROR);
        call.span.end();
    }

    private static void denied(Instruments in, Call call, String outcome, String stage, String rule) {
        endApproval(in, call, outcome, false);
        endOpen(call, outcome);
        call.span.setAttribute(OUTCOME, outcome).setAttribute(DENIAL_STAGE, stage);
        if (rule != null) call.span.setAttribute(DENIAL_RULE, rule);
        call.span.end();
        in.denials.add(1, Attributes.of(M_ACTION, call.action, M_STAGE, stage));
    }

    /** Ends child spans still open when the call ends another way (a denial while recording, an abandoned warrant). */
    private static void endOpen(Call call, String outcome) {
        for (Span child : new Span[]{call.decision, call.approval, call.execution}) {
            if (child != null) {
                child.setAttribute(OUTCOME, outcome);
                child.end();
            }
        }
        call.decision = call.approval = call.execution = null;
    }
}
