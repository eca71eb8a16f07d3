package dev.magistrate.telemetry;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.log.MagistrateLog;

/**
 * The telemetry a Magistrate gets unless its settings say otherwise: OpenTelemetry's global instance when the
 * application has the OpenTelemetry API, else nothing. Kept apart from {@link OpenTelemetryObserver} so that
 * deciding loads no class of the API when there is none (no error, no cost).
 */
public final class DefaultTelemetry {

    private static final String GLOBAL = "io.opentelemetry.api.GlobalOpenTelemetry";

    private DefaultTelemetry() {
    }

    /**
     * {@link OpenTelemetryObserver#global()} when the OpenTelemetry API is visible from this engine's class loader
     * (under the agent: the application's, see docs/observability.md), else {@link AuditObserver#NONE}.
     */
    public static AuditObserver observer() {
        Class<?> global;
        try {
            global = Class.forName(GLOBAL, false, DefaultTelemetry.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return AuditObserver.NONE;
        }
        try {
            global.getMethod("isSet");
        } catch (NoSuchMethodException e) {
            MagistrateLog.warn(DefaultTelemetry.class, "the application's OpenTelemetry API lacks"
                    + " GlobalOpenTelemetry.isSet() (it is older than Magistrate needs): Magistrate reports no spans or metrics through the"
                    + " global instance; hand an OpenTelemetry instance in (docs/observability.md) or use a newer API", null);
            return AuditObserver.NONE;
        }
        return OpenTelemetryObserver.global();
    }
}
