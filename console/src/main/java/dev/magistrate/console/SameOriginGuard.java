package dev.magistrate.console;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What keeps the console's pages to their own site, for the engine's console and the fleet service's alike: a request
 * must name one of the console's hosts (no DNS rebinding), and a form post must come from one of its origins (the
 * {@code Origin} header, or, where the browser withholds it under the no-referrer policy, {@code Sec-Fetch-Site:
 * same-origin} or a {@code Referer} of ours) carrying the session's CSRF token, compared in constant time.
 */
public final class SameOriginGuard {

    private final Set<String> hosts;
    private final Set<String> origins;

    /** {@code origins}: such as {@code http://127.0.0.1:8443}; the hosts are theirs. */
    public SameOriginGuard(Set<String> origins) {
        this.origins = Set.copyOf(origins);
        this.hosts = origins.stream().map(o -> o.substring(o.indexOf("://") + 3)).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** The console on loopback at this port: {@code http(s)://127.0.0.1:port} and {@code http(s)://localhost:port}. */
    public static SameOriginGuard loopback(int port, boolean secure) {
        String scheme = secure ? "https://" : "http://";
        return new SameOriginGuard(Set.of(scheme + "127.0.0.1:" + port, scheme + "localhost:" + port));
    }

    /** Whether the request names one of the console's hosts. */
    public boolean hostIsOurs(ConsoleHttpServer.Request x) {
        String host = x.header("Host");
        return host != null && hosts.contains(host);
    }

    /** Why this POST is not from the console's own page, or null when it is. */
    public String refusedPost(ConsoleHttpServer.Request x, String presented, String expected) {
        String origin = x.header("Origin");
        boolean sameOrigin = origin != null && !origin.equals("null") ? origins.contains(origin)
                : "same-origin".equals(x.header("Sec-Fetch-Site")) || refererIsOurs(x.header("Referer"));
        if (!sameOrigin) return "cross-origin request (Origin " + (origin == null ? "absent" : origin) + ")";
        if (presented == null || expected == null
                || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            return "missing or wrong CSRF token";
        }
        return null;
    }

    private boolean refererIsOurs(String referer) {
        if (referer == null) return false;
        for (String o : origins) if (referer.startsWith(o + "/")) return true;
        return false;
    }

    /** An application/x-www-form-urlencoded body; the first value of a repeated name wins. */
    public static Map<String, String> form(ConsoleHttpServer.Request x) {
        Map<String, String> out = new LinkedHashMap<>();
        String body = new String(x.body(), StandardCharsets.UTF_8);
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            } catch (IllegalArgumentException malformed) {
                // skipped: a malformed pair is never a field we need
            }
        }
        return out;
    }
}
