package dev.magistrate.audit;

/** A checkpoint note that is malformed or not validly signed by the expected key. */
public final class InvalidCheckpointException extends Exception {
    public InvalidCheckpointException(String message) {
        super(message);
    }
}
