package dev.magistrate.governor;

/** A break-glass grant was not opened, or a review not recorded: the message says why (and the refusal is audited). */
public final class BreakGlassRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BreakGlassRefusedException(String message) {
        super(message);
    }
}
