package dev.magistrate.audit;

/**
 * Where the engine writes every state change of a governed call. {@link #append} is write-ahead:
 * when it returns, the entry is in the log, so the step it records may proceed. An append that
 * fails throws, and the engine then denies the call (fail closed).
 */
public interface AuditSink extends AutoCloseable {

    /** Appends one entry and returns its index in the log (0-based, one sequence for the whole log). */
    long append(AuditEvent event);

    @Override
    default void close() {
    }
}
