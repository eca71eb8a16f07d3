package dev.magistrate.server;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every route the service serves, the intent API's ({@link IntentApi}, under {@code /v1/}) and the fleet console's pages
 * ({@link FleetConsole}): the one list both dispatch on and the OpenAPI test compares with openapi.yaml.
 */
enum ApiRoute {
    SUBMIT_INTENT("POST", "/v1/intents"),
    INTENT_STATUS("GET", "/v1/intents/{id}"),
    REPORT_EXECUTION("POST", "/v1/intents/{id}/execution"),
    CAST_VOTE("POST", "/v1/requests/{id}/votes"),
    VERIFY_WARRANT("POST", "/v1/warrants/verify"),
    WARRANT_KEYS("GET", "/v1/keys/warrant"),
    SUBMIT_CHECKPOINT("POST", "/v1/checkpoints"),
    CHECKPOINT_HEAD("GET", "/v1/checkpoints/head"),

    // The fleet console: HTML for people, signed in with a session cookie.
    CONSOLE_SIGN_IN_FORM("GET", "/signin"),
    CONSOLE_SIGN_IN("POST", "/signin"),
    CONSOLE_SIGN_OUT("POST", "/signout"),
    CONSOLE_PENDING("GET", "/"),
    CONSOLE_PENDING_LIST("GET", "/fragments/pending"),
    CONSOLE_REQUEST("GET", "/requests/{id}"),
    CONSOLE_VOTE("POST", "/requests/{id}/vote"),
    CONSOLE_HISTORY("GET", "/history"),
    CONSOLE_STYLES("GET", "/assets/console.css"),
    CONSOLE_SCRIPT("GET", "/assets/console.js");

    /** Path parameters: intent and request ids (UUIDv7 and the like), never a slash. */
    private static final String ID = "([A-Za-z0-9._:-]{1,128})";

    final String method;
    final String template;
    private final Pattern pattern;

    ApiRoute(String method, String template) {
        this.method = method;
        this.template = template;
        this.pattern = Pattern.compile(template.replace(".", "\\.").replace("{id}", ID));
    }

    /** A page of the fleet console, not the intent API. */
    boolean console() {
        return name().startsWith("CONSOLE_");
    }

    /** The route of this kind that this method and path name; null when none. */
    static ApiRoute find(String method, String path, boolean console) {
        for (ApiRoute r : values()) if (r.console() == console && r.method.equals(method) && r.match(path) != null) return r;
        return null;
    }

    /** Whether some route of this kind has this path (with another method: a 405, not a 404). */
    static boolean pathKnown(String path, boolean console) {
        for (ApiRoute r : values()) if (r.console() == console && r.match(path) != null) return true;
        return false;
    }

    /** The path parameter when {@code path} matches this route's template (empty string for routes without one), else null. */
    String match(String path) {
        Matcher m = pattern.matcher(path);
        if (!m.matches()) return null;
        return m.groupCount() > 0 ? m.group(1) : "";
    }
}
