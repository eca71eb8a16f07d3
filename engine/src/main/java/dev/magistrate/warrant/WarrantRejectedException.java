package dev.magistrate.warrant;

/** A warrant refused by {@link WarrantVerifier}, with the precise reason. Never holds key material. */
public final class WarrantRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final RejectionReason reason;
    private final String warrantId;
    private final String detail;

    public WarrantRejectedException(RejectionReason reason, String warrantId, String detail) {
        this(reason, warrantId, detail, null);
    }

    public WarrantRejectedException(RejectionReason reason, String warrantId, String detail, Throwable cause) {
        super("warrant " + (warrantId == null ? "(unreadable)" : warrantId) + " rejected (" + reason.wireName() + "): " + detail, cause);
        this.reason = reason;
        this.warrantId = warrantId;
        this.detail = detail;
    }

    /** What exactly was wrong, without the reason code: {@code expired at ..., now is ...}. */
    public String detail() {
        return detail;
    }

    public RejectionReason reason() {
        return reason;
    }

    /** The warrant's id when it could be read, else {@code null}. */
    public String warrantId() {
        return warrantId;
    }
}
