package dev.magistrate.fleet;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where an agent finds the fleet service: its replicas' base URLs, tried in order with failover
 * ({@code magistrate.fleet.urls}); the file holding this agent's token from {@code enroll-agent}
 * ({@code magistrate.fleet.token.file}: the token itself is never on a command line or in a log line); and the file
 * pinning the service's warrant public keys, as {@code GET /v1/keys/warrant} returns them ({@code magistrate.fleet.key}),
 * needed only with {@code magistrate.approvals=remote} (null otherwise: the engine then only ships its checkpoints to the
 * service, its witness).
 */
public record FleetSettings(List<URI> urls, Path tokenFile, Path serviceKeyFile) {

    public static final String URLS = "magistrate.fleet.urls", TOKEN_FILE = "magistrate.fleet.token.file", KEY = "magistrate.fleet.key";

    /** Why an engine that does not send its calls to the fleet service refuses a policy reading a fleet-wide window. */
    public static final String WINDOWS_NEED_A_FLEET = "a fleet-wide window, whose counter only the fleet service keeps, and this engine"
            + " does not send its calls to the fleet service (set magistrate.approvals=remote and magistrate.fleet.*; docs/fleet.md),"
            + " so it refuses the policy rather than count the fleet's budget in one process";

    public FleetSettings {
        urls = List.copyOf(Objects.requireNonNull(urls, URLS));
        if (urls.isEmpty()) throw new IllegalArgumentException(URLS + ": at least one service URL is needed");
        for (URI u : urls) {
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                throw new IllegalArgumentException(URLS + ": '" + u + "' is not an http:// or https:// URL with a host");
            }
            if (u.getUserInfo() != null) throw new IllegalArgumentException(URLS + ": '" + u.getHost() + "' carries a user: the token goes in " + TOKEN_FILE);
        }
        if (tokenFile == null) throw new IllegalArgumentException(TOKEN_FILE + " is required with " + URLS);
    }

    /** Parses {@code magistrate.fleet.urls}: comma-separated base URLs. */
    public static List<URI> parseUrls(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) throw new IllegalArgumentException(URLS + ": at least one service URL is needed");
        return java.util.Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(s -> {
            try {
                return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(URLS + ": '" + s + "' is not a URL: " + e.getMessage(), e);
            }
        }).toList();
    }
}
