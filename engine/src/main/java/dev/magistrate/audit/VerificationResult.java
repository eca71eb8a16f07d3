package dev.magistrate.audit;

/**
 * What {@link AuditLogVerifier} found.
 *
 * @param status         overall verdict
 * @param entries        entries present in the log (the next index to be written)
 * @param firstIndex     index of the first entry still present (above 0 when old cycles were pruned)
 * @param index          for anything but OK: the first entry concerned
 * @param reason         for anything but OK: why, in words
 * @param lastCheckpoint the last valid signed checkpoint seen in the log, or null
 */
public record VerificationResult(Status status, long entries, long firstIndex, long index, String reason,
                                 Checkpoint lastCheckpoint) {

    public enum Status {
        /** Every entry is linked, and covered by a valid signed checkpoint. */
        OK,
        /** Every entry is linked, but entries from {@code index} on are after the last checkpoint: not tampering. */
        UNSIGNED_TAIL,
        /** The last entry was left half-written by a crash: not tampering; entries before it verify. */
        INCOMPLETE_TAIL,
        /**
         * A write was cut short (typically a full disk): the last records are torn, entries before
         * {@code index} verify. Not tampering; the next writer skips them and records the damage.
         */
        DAMAGED_TAIL,
        /** The log was changed: {@code index} is the first bad entry. */
        TAMPERED
    }

    public boolean tampered() {
        return status == Status.TAMPERED;
    }

    /** {@code OK N entries}, {@code TAMPERED at entry I: reason}, or a warning line for the other two. */
    public String summary() {
        return switch (status) {
            case OK -> "OK " + entries + " entries";
            case TAMPERED -> "TAMPERED at entry " + index + ": " + reason;
            case UNSIGNED_TAIL -> "OK " + entries + " entries, WARNING unsigned tail from entry " + index + ": " + reason;
            case INCOMPLETE_TAIL -> "OK " + entries + " entries, WARNING incomplete entry " + index + ": " + reason;
            case DAMAGED_TAIL -> "OK " + entries + " entries, WARNING damaged tail at entry " + index + ": " + reason;
        };
    }

    @Override
    public String toString() {
        return summary();
    }
}
