package dev.magistrate.server;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Every route the intent API serves: the one list the server dispatches on and the OpenAPI test compares with openapi.yaml. */
enum ApiRoute {
    SUBMIT_INTENT("POST", "/v1/intents"),
    INTENT_STATUS("GET", "/v1/intents/{id}"),
    REPORT_EXECUTION("POST", "/v1/intents/{id}/execution"),
    CAST_VOTE("POST", "/v1/requests/{id}/votes"),
    VERIFY_WARRANT("POST", "/v1/warrants/verify"),
    WARRANT_KEYS("GET", "/v1/keys/warrant"),
    SUBMIT_CHECKPOINT("POST", "/v1/checkpoints"),
    CHECKPOINT_HEAD("GET", "/v1/checkpoints/head");

    /** Path parameters: intent and request ids (UUIDv7 and the like), never a slash. */
    private static final String ID = "([A-Za-z0-9._:-]{1,128})";

    final String method;
    final String template;
    private final Pattern pattern;

    ApiRoute(String method, String template) {
        this.method = method;
        this.template = template;
        this.pattern = Pattern.compile(template.replace("{id}", ID));
    }

    /** The path parameter when {@code path} matches this route's template (empty string for routes without one), else null. */
    String match(String path) {
        Matcher m = pattern.matcher(path);
        if (!m.matches()) return null;
        return m.groupCount() > 0 ? m.group(1) : "";
    }
}
