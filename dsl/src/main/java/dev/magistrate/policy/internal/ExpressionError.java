package dev.magistrate.policy.internal;

/** A mistake in one condition, at an offset into the condition's text. */
public final class ExpressionError extends Exception {

    private final int offset;

    public ExpressionError(int offset, String message) {
        super(message, null, false, false);
        this.offset = offset;
    }

    /** 0-based character offset into the condition text. */
    public int offset() {
        return offset;
    }
}
