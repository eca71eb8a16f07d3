package dev.magistrate.server;

/**
 * A refused API call: the HTTP status, the request field at fault (null when it is not one field) and why. The API
 * answers it as {@code {"error": ..., "field": ...}} and records it in the {@code refusals} table.
 */
final class ApiException extends RuntimeException {

    private final int status;
    private final String field;
    /** More fields of the error body (the witness's refusal kind and head), in order. */
    private final java.util.Map<String, Object> details = new java.util.LinkedHashMap<>();

    ApiException(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    static ApiException badField(String field, String problem) {
        return new ApiException(400, field, field + ": " + problem);
    }

    ApiException with(String name, Object value) {
        details.put(name, value);
        return this;
    }

    java.util.Map<String, Object> details() {
        return details;
    }

    int status() {
        return status;
    }

    String field() {
        return field;
    }
}
