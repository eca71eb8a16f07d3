package dev.magistrate.agent.internal;

import dev.magistrate.fleet.FleetSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 17: the remote backend's settings, from the file (paths relative to it) or the environment, and each mistake named. */
class FleetSettingsConfigTest {

    @TempDir
    Path dir;

    @Test
    void theFleetSettingsReachTheEngineWithPathsRelativeToTheFile() throws Exception {
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                approvals: remote
                fleet:
                  urls: http://10.0.0.1:8443/, http://10.0.0.2:8443
                  token:
                    file: agent.token
                  key: keys.json
                """);
        FleetSettings f = AgentConfig.load(null, Map.of(), Map.of(), dir).settings().fleet();
        assertEquals(List.of(URI.create("http://10.0.0.1:8443"), URI.create("http://10.0.0.2:8443")), f.urls());
        assertEquals(dir.resolve("agent.token"), f.tokenFile());
        assertEquals(dir.resolve("keys.json"), f.serviceKeyFile());
        assertNull(AgentConfig.load(null, Map.of(), Map.of(), dir.resolve("elsewhere")).settings().fleet(), "no fleet without remote");
    }

    @Test
    void remoteWithoutItsSettingsOrTheSettingsWithoutRemoteAreRefusedNamingTheSetting() {
        AgentConfig.ConfigException missing = assertThrows(AgentConfig.ConfigException.class, () -> AgentConfig.load(null,
                Map.of("MAGISTRATE_APPROVALS", "remote", "MAGISTRATE_FLEET_URLS", "http://h:1"), Map.of(), dir).settings());
        assertTrue(missing.getMessage().contains("needs magistrate.fleet.token.file"), missing.getMessage());
        AgentConfig.ConfigException stray = assertThrows(AgentConfig.ConfigException.class, () -> AgentConfig.load(null,
                Map.of("MAGISTRATE_FLEET_URLS", "http://h:1"), Map.of(), dir).settings());
        assertEquals("environment variable MAGISTRATE_FLEET_URLS: magistrate.fleet.urls is set, so the fleet service needs"
                + " magistrate.fleet.token.file (a file holding the token enroll-agent printed)", stray.getMessage());
        // Without remote, the URLs and the token make the service the log's witness only: no pinned warrant key needed.
        FleetSettings witnessOnly = AgentConfig.load(null, Map.of("MAGISTRATE_FLEET_URLS", "http://h:1", "MAGISTRATE_FLEET_TOKEN_FILE", "t"),
                Map.of(), dir).settings().fleet();
        assertEquals(List.of(URI.create("http://h:1")), witnessOnly.urls());
        assertNull(witnessOnly.serviceKeyFile());
        AgentConfig.ConfigException badUrl = assertThrows(AgentConfig.ConfigException.class, () -> AgentConfig.load(null,
                Map.of("MAGISTRATE_APPROVALS", "remote", "MAGISTRATE_FLEET_URLS", "ftp://h:1", "MAGISTRATE_FLEET_TOKEN_FILE", "t",
                        "MAGISTRATE_FLEET_KEY", "k"), Map.of(), dir).settings());
        assertTrue(badUrl.getMessage().contains("magistrate.fleet.urls: 'ftp://h:1' is not an http:// or https:// URL"), badUrl.getMessage());
    }
}
