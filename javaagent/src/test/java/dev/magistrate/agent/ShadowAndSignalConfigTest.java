package dev.magistrate.agent;

import dev.magistrate.agent.internal.AgentConfig;
import dev.magistrate.engine.MagistrateSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's settings for a shadow policy and the signals MBean; signal properties are the engine's, not unknown settings. */
class ShadowAndSignalConfigTest {

    @TempDir
    Path dir;

    @Test
    void theShadowPolicyIsAPathBesideTheFileAndJmxCanBeTurnedOff() throws Exception {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("magistrate.yaml"), "policy: policy.yaml\nshadow: {policy: candidate/}\nsignals: {jmx: false}\n");
        MagistrateSettings s = AgentConfig.load("config=conf/magistrate.yaml", Map.of(),
                Map.of("magistrate.signal.error_rate", "0.07"), dir).settings();
        assertEquals(conf.resolve("candidate").toAbsolutePath().normalize(), s.shadowPolicy().toAbsolutePath().normalize());
        assertEquals(false, s.signalsJmx());
        MagistrateSettings defaults = AgentConfig.load("", Map.of(), Map.of(), dir).settings();
        assertNull(defaults.shadowPolicy());
        assertTrue(defaults.signalsJmx());
    }

    @Test
    void aJmxSettingThatIsNotABooleanIsRefusedWithItsSource() {
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class,
                () -> AgentConfig.load("", Map.of(), Map.of("magistrate.signals.jmx", "maybe"), dir).settings());
        assertTrue(e.getMessage().contains("system property -Dmagistrate.signals.jmx: magistrate.signals.jmx: 'maybe' is not on or off (true or false)"), e.getMessage());
        assertEquals(false, AgentConfig.load("", Map.of(), Map.of("magistrate.signals.jmx", "off"), dir).settings().signalsJmx(), "off is false, as for every switch");
    }
}
