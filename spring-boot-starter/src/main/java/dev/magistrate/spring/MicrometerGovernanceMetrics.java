package dev.magistrate.spring;

import dev.magistrate.policy.Decision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.beans.factory.ObjectProvider;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Governed calls as Micrometer meters. Tags are the action (bounded: the governed methods of the
 * application), tier, effect, stage and outcome; never arguments.
 * <ul>
 * <li>{@code magistrate.decisions} (counter): tier T0..T3, effect allow|approve|deny</li>
 * <li>{@code magistrate.denials} (counter): stage policy|approval|backend|audit|verification|refused</li>
 * <li>{@code magistrate.approval.wait} (timer): outcome granted|denied, for calls that needed people</li>
 * <li>{@code magistrate.calls} (timer): the method body, outcome completed|failed</li>
 * </ul>
 */
final class MicrometerGovernanceMetrics implements GovernanceMetrics {

    private final ObjectProvider<MeterRegistry> registries;
    private volatile MeterRegistry registry;

    MicrometerGovernanceMetrics(ObjectProvider<MeterRegistry> registries) {
        this.registries = registries;
    }

    /** Looked up at the first call, not at start: the registry may be created after the proxies. */
    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) registry = r = registries.getIfAvailable();
        return r;
    }

    @Override
    public boolean enabled() {
        return registry() != null;
    }

    @Override
    public void decided(String action, Decision decision) {
        Counter.builder("magistrate.decisions").description("Policy decisions on governed calls")
                .tags("action", action, "tier", decision.tier().name(), "effect", decision.effect().name().toLowerCase(Locale.ROOT))
                .register(registry()).increment();
    }

    @Override
    public void approvalWait(String action, long nanos, boolean granted) {
        Timer.builder("magistrate.approval.wait").description("Time a governed call waited for its approvers")
                .tags("action", action, "outcome", granted ? "granted" : "denied").register(registry()).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void denied(String action, String stage) {
        Counter.builder("magistrate.denials").description("Governed calls denied, by the stage that refused them")
                .tags("action", action, "stage", stage).register(registry()).increment();
    }

    @Override
    public void ran(String action, long nanos, boolean completed) {
        Timer.builder("magistrate.calls").description("Duration of governed method bodies")
                .tags("action", action, "outcome", completed ? "completed" : "failed").register(registry()).record(nanos, TimeUnit.NANOSECONDS);
    }
}
