package dev.magistrate.approval;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks approvers' TOTP codes, makes each usable once, and rate-limits guessing.
 * <ul>
 * <li>After a code for step S succeeded, only codes for steps after S are accepted from that approver
 * (RFC 6238, section 5.2). So a code seen once, on any intent, never passes again.</li>
 * <li>Wrong codes are counted per approver, across intents: after {@link AttemptLimiter#MAX_FAILURES}
 * in a row that approver's TOTP approvals are locked (1 minute, doubling each time, at most 1 hour;
 * see {@link AttemptLimiter}); while locked no code is even checked.</li>
 * </ul>
 * The memory is per process and bounded: one entry per approver in the directory (only known approvers
 * reach this check). A code is at most 90 seconds from expiry anyway (docs/approvals.md says what a
 * restart within that window means).
 */
public final class MfaVerifier {

    /**
     * What one attempt came to. {@code rejection} is null when the code was accepted (and is from then on spent);
     * {@code acceptedStep} is then the code's time step, which a caller that shares approvals across processes records so
     * the code stays single-use across them too (the fleet service does); {@link Long#MIN_VALUE} when refused.
     */
    public record Attempt(String rejection, boolean wrongCode, Instant lockoutStarted, Instant lockedUntil, int failuresInARow,
                          long refusedWhileLocked, long acceptedStep) {

        Attempt(String rejection, boolean wrongCode, Instant lockoutStarted, Instant lockedUntil, int failuresInARow, long refusedWhileLocked) {
            this(rejection, wrongCode, lockoutStarted, lockedUntil, failuresInARow, refusedWhileLocked, Long.MIN_VALUE);
        }

        public boolean accepted() {
            return rejection == null;
        }

        /** Refused without checking the code, because of a lockout. */
        public boolean locked() {
            return lockedUntil != null && lockoutStarted == null;
        }
    }

    private static final class State {
        final AttemptLimiter limiter = new AttemptLimiter();
        long lastAcceptedStep = Long.MIN_VALUE;
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();

    /** Returns why the code is refused, or {@code null} when it is accepted (and from then on spent). */
    public String check(Approver approver, String code, Instant now) {
        return attempt(approver, code, now).rejection();
    }

    /** Checks a code, counting it against the approver's limit. */
    public Attempt attempt(Approver approver, String code, Instant now) {
        if (!approver.hasTotp()) {
            return new Attempt("approver '" + approver.id() + "' has no TOTP secret enrolled, and this intent requires MFA", false, null, null, 0, 0);
        }
        State st = states.computeIfAbsent(approver.id(), k -> new State());
        synchronized (st) {
            Instant locked = st.limiter.lockedUntil(now);
            if (locked != null) {
                long n = st.limiter.refusedWhileLocked();
                return new Attempt(lockedMessage(approver.id(), locked, now), false, null, locked, 0, n);
            }
            if (code == null || code.isBlank()) return new Attempt("this intent requires MFA: a TOTP code is missing", false, null, null, 0, 0);
            OptionalLong step = Totp.matchingStep(approver.totpSecret(), code.strip(), now);
            if (step.isEmpty()) {
                Instant started = st.limiter.failure(now);
                if (started != null) {
                    return new Attempt("wrong TOTP code; " + st.limiter.maxFailures() + " wrong codes in a row: TOTP approvals by '" + approver.id()
                            + "' are locked until " + started + " (" + st.limiter.failuresTotal() + " wrong codes in all)", true, started, started,
                            st.limiter.maxFailures(), 0);
                }
                return new Attempt("wrong TOTP code", true, null, null, st.limiter.failuresInARow(), 0);
            }
            long s = step.getAsLong();
            if (s <= st.lastAcceptedStep) {
                return new Attempt("TOTP code already used (each code is accepted once; wait for the next one)", false, null, null, 0, 0);
            }
            st.lastAcceptedStep = s;
            st.limiter.success();
            return new Attempt(null, false, null, null, 0, 0, s);
        }
    }

    static String lockedMessage(String approverId, Instant until, Instant now) {
        long seconds = Math.max(1, Duration.between(now, until).toSeconds());
        return "TOTP approvals by '" + approverId + "' are locked after too many wrong codes, for " + seconds + " more seconds (until " + until
                + "); no code is checked until then";
    }
}
