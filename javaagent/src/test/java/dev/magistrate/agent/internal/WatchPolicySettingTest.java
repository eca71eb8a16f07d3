package dev.magistrate.agent.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 13: watching the policy files is off unless configured, and set the same way in every source. */
class WatchPolicySettingTest {

    @TempDir
    Path dir;

    @Test
    void offByDefaultOnFromTheFileTheEnvironmentOrAPropertyAndRefusedWhenNotABoolean() throws Exception {
        assertFalse(AgentConfig.load(null, Map.of(), Map.of(), dir).settings().watchPolicy(), "off: a file write would change what is allowed");
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\nwatch: {policy: true}\n");
        assertTrue(AgentConfig.load(null, Map.of(), Map.of(), dir).settings().watchPolicy());
        assertFalse(AgentConfig.load(null, Map.of("MAGISTRATE_WATCH_POLICY", "false"), Map.of(), dir).settings().watchPolicy());
        assertTrue(AgentConfig.load(null, Map.of(), Map.of("magistrate.watch.policy", "TRUE"), dir.resolve("elsewhere")).settings().watchPolicy());
        AgentConfig.ConfigException bad = assertThrows(AgentConfig.ConfigException.class,
                () -> AgentConfig.load("watch.policy=yes", Map.of(), Map.of(), dir.resolve("elsewhere")).settings());
        assertEquals("agent argument watch.policy: magistrate.watch.policy: 'yes' is not on or off (true or false)", bad.getMessage());
    }
}
