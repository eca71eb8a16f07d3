package dev.magistrate.fleet;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where this engine's fleet service is (docs/fleet.md): its base URLs, tried in order (failing over between replicas),
 * the file holding this agent's token from {@code enroll-agent} (the token itself is never in a setting or a log line),
 * and the file with the service's warrant public key, pinned.
 */
public record FleetSettings(List<URI> urls, Path tokenFile, Path serviceKeyFile) {

    /** Why an engine without a fleet refuses a policy reading a fleet-wide window: one process would count the fleet's budget alone. */
    public static final String WINDOWS_NEED_A_FLEET = "a fleet-wide window, whose counter only the fleet service keeps, and this engine"
            + " has no fleet (set magistrate.approvals=remote and magistrate.fleet.urls; docs/fleet.md), so it refuses the policy rather"
            + " than count the fleet's budget in one process";

    public FleetSettings {
        urls = List.copyOf(Objects.requireNonNull(urls, "urls"));
        if (urls.isEmpty()) throw new IllegalArgumentException("magistrate.fleet.urls: at least one service URL");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(serviceKeyFile, "serviceKeyFile");
    }
}
