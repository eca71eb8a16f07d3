package dev.magistrate.bootstrap;

/**
 * Thrown out of a governed method whose call was denied. The message is written for the agent (a
 * person or a language model): what was denied, by which rule or approver, why, and what would be
 * allowed instead when known. It lives on the bootstrap class path so that any code can catch it.
 */
public class CallDeniedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CallDeniedException(String message) {
        super(message, null, false, false);
    }
}
