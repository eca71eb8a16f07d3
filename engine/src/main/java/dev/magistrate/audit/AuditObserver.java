package dev.magistrate.audit;

/**
 * Told of each entry the governor has appended to the audit trail, on the thread that appended it: the one tap
 * that telemetry reads a governed call from (docs/observability.md). It sees what the audit trail holds, so it
 * never reports a step that was not recorded. It is told once per entry: a T0 call's CALL_GRANTED is one entry for three
 * steps (submitted, decided, started), which {@link AuditPayload#steps()} lists. It must be quick and must not throw; the governor logs and
 * ignores what it throws, so an observer can never deny or allow a call.
 */
@FunctionalInterface
public interface AuditObserver {

    /** Observes nothing; the governor then does not even time its appends. */
    AuditObserver NONE = (intentId, payload, appendNanos) -> {
    };

    /**
     * @param intentId    the intent the entry belongs to
     * @param payload     the entry as written
     * @param appendNanos how long the append took (for a durable log, until the entry was durable as configured)
     */
    void appended(String intentId, AuditPayload payload, long appendNanos);
}
