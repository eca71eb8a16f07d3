package dev.magistrate.approval;

import dev.magistrate.warrant.Constraint;

import java.util.List;
import java.util.Objects;

/**
 * One approver's answer as a backend received it. The engine, not the backend, decides whether it
 * counts. {@code constraints} narrow an approval ("approve, but at most 25 instances").
 * {@code credential} is the personal token the voter presented (see {@link ApproverToken}); a backend
 * whose {@link ApprovalBackend#requiresApproverCredentials()} is true must pass it on, and the engine
 * counts the vote only when it is that approver's own. Neither it nor the TOTP code is ever printed.
 */
public record Vote(String approverId, Verdict verdict, String comment, String totpCode, List<Constraint> constraints, String credential) {

    public Vote {
        Objects.requireNonNull(approverId, "approverId");
        Objects.requireNonNull(verdict, "verdict");
        constraints = constraints == null ? List.of() : List.copyOf(constraints);
    }

    /** A vote without a personal credential (in-process backends). */
    public Vote(String approverId, Verdict verdict, String comment, String totpCode, List<Constraint> constraints) {
        this(approverId, verdict, comment, totpCode, constraints, null);
    }

    public Vote withCredential(String personalToken) {
        return new Vote(approverId, verdict, comment, totpCode, constraints, personalToken);
    }

    public static Vote approve(String approverId) {
        return new Vote(approverId, Verdict.APPROVE, null, null, List.of());
    }

    public static Vote deny(String approverId, String reason) {
        return new Vote(approverId, Verdict.DENY, reason, null, List.of());
    }

    public Vote withTotp(String code) {
        return new Vote(approverId, verdict, comment, code, constraints, credential);
    }

    public Vote withComment(String text) {
        return new Vote(approverId, verdict, text, totpCode, constraints, credential);
    }

    public Vote withConstraints(List<Constraint> limits) {
        return new Vote(approverId, verdict, comment, totpCode, limits, credential);
    }

    /** Leaves out the TOTP code and the credential: they must never reach a log. */
    @Override
    public String toString() {
        return "Vote[" + verdict.wireName() + " by " + approverId + (comment != null ? ": " + comment : "")
                + (constraints.isEmpty() ? "" : " limited to " + constraints) + (totpCode != null ? ", with TOTP" : "")
                + (credential != null ? ", with credential" : "") + "]";
    }
}
