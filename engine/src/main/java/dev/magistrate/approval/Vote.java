package dev.magistrate.approval;

import dev.magistrate.warrant.Constraint;

import java.util.List;
import java.util.Objects;

/**
 * One approver's answer as a backend received it. The engine, not the backend, decides whether it
 * counts. {@code constraints} narrow an approval ("approve, but at most 25 instances").
 */
public record Vote(String approverId, Verdict verdict, String comment, String totpCode, List<Constraint> constraints) {

    public Vote {
        Objects.requireNonNull(approverId, "approverId");
        Objects.requireNonNull(verdict, "verdict");
        constraints = constraints == null ? List.of() : List.copyOf(constraints);
    }

    public static Vote approve(String approverId) {
        return new Vote(approverId, Verdict.APPROVE, null, null, List.of());
    }

    public static Vote deny(String approverId, String reason) {
        return new Vote(approverId, Verdict.DENY, reason, null, List.of());
    }

    public Vote withTotp(String code) {
        return new Vote(approverId, verdict, comment, code, constraints);
    }

    public Vote withComment(String text) {
        return new Vote(approverId, verdict, text, totpCode, constraints);
    }

    public Vote withConstraints(List<Constraint> limits) {
        return new Vote(approverId, verdict, comment, totpCode, limits);
    }

    /** Leaves out the TOTP code: it must never reach a log. */
    @Override
    public String toString() {
        return "Vote[" + verdict.wireName() + " by " + approverId + (comment != null ? ": " + comment : "")
                + (constraints.isEmpty() ? "" : " limited to " + constraints) + (totpCode != null ? ", with TOTP" : "") + "]";
    }
}
