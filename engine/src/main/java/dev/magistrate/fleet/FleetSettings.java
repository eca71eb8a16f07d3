package dev.magistrate.fleet;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How this engine reaches the fleet service (docs/fleet.md).
 *
 * @param urls           the service's replicas, tried in order (failing over to the next on a connection error)
 * @param tokenFile      the file holding this agent's token from {@code enroll-agent} (the token itself is never a setting,
 *                       so it is in no command line and no log line)
 * @param serviceKeyFile the service's warrant public key, pinned; null when not given
 */
public record FleetSettings(List<URI> urls, Path tokenFile, Path serviceKeyFile) {

    public FleetSettings {
        urls = List.copyOf(Objects.requireNonNull(urls, "urls"));
        if (urls.isEmpty()) throw new IllegalArgumentException("magistrate.fleet.urls: at least one service URL");
        for (URI u : urls) {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("magistrate.fleet.urls: not an http(s) URL: " + u);
            }
        }
        Objects.requireNonNull(tokenFile, "magistrate.fleet.token.file");
    }
}
