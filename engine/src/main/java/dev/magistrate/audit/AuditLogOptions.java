package dev.magistrate.audit;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * How a {@link ChronicleAuditLog} is set up.
 *
 * @param directory             the queue directory (created if missing); the {@code checkpoint} file lives in it
 * @param origin                the log's name, first line of every checkpoint
 * @param keys                  sign checkpoints, and verify the ones already in the log (after a rotation, by retired keys)
 * @param checkpointEveryEntries sign a checkpoint after this many entries (0: not by count)
 * @param checkpointEveryMillis  sign a checkpoint when entries have been unsigned this long (0: not by time)
 * @param durability            when the cycle file is forced to disk
 * @param retainCycles          daily cycle files to keep (0: keep all); older ones are deleted on open and when a day begins
 * @param clock                 picks the daily cycle file; tests move it
 */
public record AuditLogOptions(Path directory, String origin, CheckpointKeys keys, long checkpointEveryEntries,
                              long checkpointEveryMillis, Durability durability, int retainCycles, Clock clock) {

    public AuditLogOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(clock, "clock");
        new Checkpoint(origin, 0, new byte[32]); // validates the origin line
        if (checkpointEveryEntries < 0 || checkpointEveryMillis < 0 || retainCycles < 0) {
            throw new IllegalArgumentException("checkpoint intervals and retention must not be negative");
        }
    }

    /** Checkpoints every 1000 entries or 1 s, mapped durability, keep everything. */
    public static AuditLogOptions defaults(Path directory, String origin, CheckpointKeys keys) {
        return new AuditLogOptions(directory, origin, keys, 1000, 1000, Durability.MAPPED, 0, Clock.systemUTC());
    }

    public AuditLogOptions withCheckpointEvery(long entries, long millis) {
        return new AuditLogOptions(directory, origin, keys, entries, millis, durability, retainCycles, clock);
    }

    public AuditLogOptions withDurability(Durability d) {
        return new AuditLogOptions(directory, origin, keys, checkpointEveryEntries, checkpointEveryMillis, d, retainCycles, clock);
    }

    public AuditLogOptions withRetainCycles(int cycles) {
        return new AuditLogOptions(directory, origin, keys, checkpointEveryEntries, checkpointEveryMillis, durability, cycles, clock);
    }

    public AuditLogOptions withClock(Clock c) {
        return new AuditLogOptions(directory, origin, keys, checkpointEveryEntries, checkpointEveryMillis, durability, retainCycles, c);
    }
}
