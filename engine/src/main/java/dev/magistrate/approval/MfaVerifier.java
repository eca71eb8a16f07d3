package dev.magistrate.approval;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks approvers' TOTP codes and makes each usable once: after a code for step S succeeded, only
 * codes for steps after S are accepted from that approver (RFC 6238, section 5.2). So a code seen
 * once, on any intent, never passes again. The memory is per process; a code is at most 90 seconds
 * from expiry anyway (docs/approvals.md says what a restart within that window means).
 */
public final class MfaVerifier {

    private final Map<String, AtomicLong> lastAcceptedStep = new ConcurrentHashMap<>();

    /** Returns why the code is refused, or {@code null} when it is accepted (and from then on spent). */
    public String check(Approver approver, String code, Instant now) {
        if (!approver.hasTotp()) return "approver '" + approver.id() + "' has no TOTP secret enrolled, and this intent requires MFA";
        if (code == null || code.isBlank()) return "this intent requires MFA: a TOTP code is missing";
        OptionalLong step = Totp.matchingStep(approver.totpSecret(), code.strip(), now);
        if (step.isEmpty()) return "wrong TOTP code";
        AtomicLong last = lastAcceptedStep.computeIfAbsent(approver.id(), k -> new AtomicLong(Long.MIN_VALUE));
        long s = step.getAsLong();
        while (true) {
            long prev = last.get();
            if (s <= prev) return "TOTP code already used (each code is accepted once; wait for the next one)";
            if (last.compareAndSet(prev, s)) return null;
        }
    }
}
