package dev.magistrate.annotations;

/**
 * Thrown out of a governed method whose call was denied. The message is written for the agent (a
 * person or a language model): what was denied, by which rule or approver, why, and what would be
 * allowed instead when known.
 *
 * <p>Applications catch it by type with only this jar on their compile class path. At run time the
 * agent defines this very class in the bootstrap class loader, beside its bridge, before the
 * application starts; with parent-first delegation every loader resolves the name to that one
 * class, so the catch matches whatever loader the tool lives in, and also when this jar is missing
 * at run time. (A class that loaded it from this jar before a late attach, {@code agentmain}, holds
 * a different class of the same name: catch {@link RuntimeException} there.)
 */
public class CallDeniedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CallDeniedException(String message) {
        super(message, null, false, false);
    }
}
