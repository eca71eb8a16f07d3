package dev.magistrate.audit;

/**
 * A stored event whose field is missing or of the wrong type for its {@link AuditEventType}: a damaged or
 * forged entry (one that still verified), or a reader older than the writer. Names the entry (when known),
 * the type and the field.
 */
public final class MalformedAuditEventException extends IllegalStateException {

    private final long index;
    private final AuditEventType type;
    private final String field;
    private final String problem;

    MalformedAuditEventException(AuditEventType type, String field, String problem) {
        this(-1, type, field, problem);
    }

    private MalformedAuditEventException(long index, AuditEventType type, String field, String problem) {
        super((index < 0 ? "" : "entry " + index + ": ") + type + " field " + field + " " + problem);
        this.index = index;
        this.type = type;
        this.field = field;
        this.problem = problem;
    }

    /** The same problem, located at entry {@code index} of the log. */
    MalformedAuditEventException at(long index) {
        return new MalformedAuditEventException(index, type, field, problem);
    }

    /** The entry's index in the log, or -1 when the event was not read from a log. */
    public long index() {
        return index;
    }

    public AuditEventType type() {
        return type;
    }

    public String field() {
        return field;
    }
}
