package dev.magistrate.governor;

import java.util.Objects;

/**
 * The call was not allowed. Unchecked, and worded for the agent (often a language model) that made
 * the call: what was denied, by which rule or approver, why, and what would be allowed instead when
 * that is known. It never carries secrets: no keys, no TOTP codes.
 */
public class DeniedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String intentId;
    private final String action;
    private final DenialStage stage;
    private final String deniedBy;
    private final String reason;
    private final String allowedInstead;

    public DeniedException(String intentId, String action, DenialStage stage, String deniedBy, String reason, String allowedInstead,
                           Throwable cause) {
        super(message(intentId, action, stage, deniedBy, reason, allowedInstead), cause);
        this.intentId = intentId;
        this.action = action;
        this.stage = Objects.requireNonNull(stage, "stage");
        this.deniedBy = deniedBy;
        this.reason = reason;
        this.allowedInstead = allowedInstead;
    }

    /** For outcomes that are not denials but must still stop the call wherever a denial does ({@link NeedsInformationException}). */
    protected DeniedException(String message, String intentId, String action, DenialStage stage, String deniedBy, String reason) {
        super(message);
        this.intentId = intentId;
        this.action = action;
        this.stage = Objects.requireNonNull(stage, "stage");
        this.deniedBy = deniedBy;
        this.reason = reason;
        this.allowedInstead = null;
    }

    private static String message(String intentId, String action, DenialStage stage, String by, String reason, String instead) {
        StringBuilder sb = new StringBuilder("DENIED: '").append(action).append("' was not allowed ");
        switch (stage) {
            case POLICY -> sb.append(by == null || by.startsWith("(") ? "by policy" : "by policy rule '" + by + "'");
            case APPROVAL -> sb.append(by == null ? "at approval" : "timeout".equals(by) ? "because approval timed out" : "by approver '" + by + "'");
            case BACKEND -> sb.append("because the approval backend").append(by == null ? "" : " '" + by + "'").append(" failed");
            case AUDIT -> sb.append("because the audit trail could not record it");
            case VERIFICATION -> sb.append("because its warrant was refused").append(by == null ? "" : " (" + by + ")");
            case RECHECK -> sb.append("when checked again before running");
            case UNGOVERNABLE -> sb.append("because ").append(reason == null ? "it cannot be governed" : reason.strip());
        }
        if (stage != DenialStage.UNGOVERNABLE && reason != null && !reason.isBlank()) sb.append(": ").append(reason.strip());
        if (sb.charAt(sb.length() - 1) != '.') sb.append('.');
        if (stage == DenialStage.POLICY) sb.append(" No approver can override this; do not retry the same call.");
        if (stage == DenialStage.UNGOVERNABLE) sb.append(" Do not retry.");
        if (instead != null && !instead.isBlank()) sb.append(" Would be allowed instead: ").append(instead.strip()).append('.');
        sb.append(" [intent ").append(intentId).append(']');
        return sb.toString();
    }

    public String intentId() { return intentId; }

    public String action() { return action; }

    public DenialStage stage() { return stage; }

    /** The denying rule's name, the approver's id, the backend's name, {@code timeout}, or the rejection reason of a warrant. */
    public String deniedBy() { return deniedBy; }

    public String reason() { return reason; }

    /** What would be allowed instead, when known (for example an approver's limit {@code instances <= 25}); else {@code null}. */
    public String allowedInstead() { return allowedInstead; }
}
