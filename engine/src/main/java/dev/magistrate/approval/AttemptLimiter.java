package dev.magistrate.approval;

import java.time.Duration;
import java.time.Instant;

/**
 * Counts failed attempts at a secret (a TOTP code) and locks further attempts after
 * {@link #MAX_FAILURES} in a row: the first lockout lasts {@link #FIRST_LOCKOUT}, each further one
 * twice the previous, at most {@link #MAX_LOCKOUT}. A success resets both the count and the growth.
 * While locked nothing is checked at all, so even the right code is refused until the lock ends.
 * Not thread-safe: callers hold a lock (the approver's, or the approval session's).
 */
public final class AttemptLimiter {

    public static final int MAX_FAILURES = 5;
    public static final Duration FIRST_LOCKOUT = Duration.ofMinutes(1);
    public static final Duration MAX_LOCKOUT = Duration.ofHours(1);

    private final int maxFailures;
    private int failuresInARow;
    private long failuresTotal;
    private int lockouts;
    private Instant lockedUntil = Instant.MIN;
    private long refusedWhileLocked;

    public AttemptLimiter() {
        this(MAX_FAILURES);
    }

    public AttemptLimiter(int maxFailures) {
        if (maxFailures < 1) throw new IllegalArgumentException("maxFailures must be at least 1");
        this.maxFailures = maxFailures;
    }

    /** The end of the current lockout, or null when attempts are allowed at {@code now}. */
    public Instant lockedUntil(Instant now) {
        return now.isBefore(lockedUntil) ? lockedUntil : null;
    }

    /** Counts an attempt refused because of the lock; returns the count in this lockout. */
    public long refusedWhileLocked() {
        return ++refusedWhileLocked;
    }

    /** Counts a failure; returns the lockout's end if this failure started one, else null. */
    public Instant failure(Instant now) {
        failuresTotal++;
        if (++failuresInARow < maxFailures) return null;
        failuresInARow = 0;
        refusedWhileLocked = 0;
        Duration d = FIRST_LOCKOUT.multipliedBy(1L << Math.min(lockouts, 20));
        if (d.compareTo(MAX_LOCKOUT) > 0) d = MAX_LOCKOUT;
        lockouts++;
        lockedUntil = now.plus(d);
        return lockedUntil;
    }

    public void success() {
        failuresInARow = 0;
        lockouts = 0;
    }

    public int failuresInARow() {
        return failuresInARow;
    }

    public long failuresTotal() {
        return failuresTotal;
    }

    public int maxFailures() {
        return maxFailures;
    }
}
