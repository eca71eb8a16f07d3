package dev.magistrate.approval;

import dev.magistrate.warrant.Constraint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One approver's answer as a backend received it. The engine, not the backend, decides whether it
 * counts. {@code constraints} narrow an approval ("approve, but at most 25 instances"); {@code edits}
 * change argument values ("approve, with instances = 25"): the engine decides the edited call again and
 * the warrant binds the edited values (docs/approvals.md, "Approve with changes"). A {@link Verdict#MORE_INFO}
 * vote carries its question in {@code comment}, must not be blank, and needs no TOTP code: it authorises nothing. {@code credential} proves who cast it (see {@link ApproverCredential}); a backend whose
 * {@link ApprovalBackend#requiresApproverCredentials()} is true must pass one on, and the engine counts
 * the vote only when it belongs to that approver. Neither it nor the TOTP code is ever printed.
 */
public record Vote(String approverId, Verdict verdict, String comment, String totpCode, List<Constraint> constraints,
                   Map<String, Object> edits, ApproverCredential credential) {

    public Vote {
        Objects.requireNonNull(approverId, "approverId");
        Objects.requireNonNull(verdict, "verdict");
        constraints = constraints == null ? List.of() : List.copyOf(constraints);
        edits = edits == null || edits.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(edits));
    }

    /** A vote without edits or credential (in-process backends). */
    public Vote(String approverId, Verdict verdict, String comment, String totpCode, List<Constraint> constraints) {
        this(approverId, verdict, comment, totpCode, constraints, Map.of(), null);
    }

    public Vote withCredential(ApproverCredential proof) {
        return new Vote(approverId, verdict, comment, totpCode, constraints, edits, proof);
    }

    public static Vote approve(String approverId) {
        return new Vote(approverId, Verdict.APPROVE, null, null, List.of());
    }

    public static Vote deny(String approverId, String reason) {
        return new Vote(approverId, Verdict.DENY, reason, null, List.of());
    }

    /** Asks the agent for more information: the call ends without running and the question reaches the agent. */
    public static Vote askForMoreInformation(String approverId, String question) {
        return new Vote(approverId, Verdict.MORE_INFO, question, null, List.of());
    }

    public Vote withTotp(String code) {
        return new Vote(approverId, verdict, comment, code, constraints, edits, credential);
    }

    public Vote withComment(String text) {
        return new Vote(approverId, verdict, text, totpCode, constraints, edits, credential);
    }

    public Vote withConstraints(List<Constraint> limits) {
        return new Vote(approverId, verdict, comment, totpCode, limits, edits, credential);
    }

    /** Approves with these argument values instead of the requested ones (argument name to JSON-typed value). */
    public Vote withEdits(Map<String, Object> changes) {
        return new Vote(approverId, verdict, comment, totpCode, constraints, changes, credential);
    }

    /** Leaves out the TOTP code and the credential's secret: they must never reach a log. */
    @Override
    public String toString() {
        return "Vote[" + verdict.wireName() + " by " + approverId + (comment != null ? ": " + comment : "")
                + (constraints.isEmpty() ? "" : " limited to " + constraints) + (edits.isEmpty() ? "" : " with changes " + edits)
                + (totpCode != null ? ", with TOTP" : "") + (credential != null ? ", by " + credential.method() : "") + "]";
    }
}
