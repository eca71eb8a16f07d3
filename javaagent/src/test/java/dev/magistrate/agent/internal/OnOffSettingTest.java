package dev.magistrate.agent.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every switch of the agent is read by one parser: on/true or off/false from any source, anything else refused with its source. */
class OnOffSettingTest {

    private static final List<String> SWITCHES = List.of(AgentConfig.TELEMETRY, AgentConfig.WATCH_POLICY, AgentConfig.SIGNALS_JMX, AgentConfig.ASYNC_CONTEXT);

    @TempDir
    Path dir;

    @Test
    void everySwitchReadsOnTrueOffAndFalseInAnyCaseFromEverySource() throws Exception {
        for (String key : SWITCHES) {
            String env = key.toUpperCase().replace('.', '_');
            String arg = key.substring("magistrate.".length());
            assertTrue(AgentConfig.load(null, Map.of(env, "on"), Map.of(), dir).onOff(key, false), key);
            assertTrue(AgentConfig.load(null, Map.of(), Map.of(key, " TRUE "), dir).onOff(key, false), key);
            assertFalse(AgentConfig.load(arg + "=Off", Map.of(), Map.of(), dir).onOff(key, true), key);
            assertFalse(AgentConfig.load(arg + "=false", Map.of(), Map.of(), dir).onOff(key, true), key);
            assertTrue(AgentConfig.load(null, Map.of(), Map.of(), dir).onOff(key, true), key + " unset: the default");
            assertFalse(AgentConfig.load(null, Map.of(), Map.of(), dir).onOff(key, false), key + " unset: the default");
        }
    }

    @Test
    void aBareOffInTheFileIsOffThoughYamlReadsItAsFalse() throws Exception {
        Files.writeString(dir.resolve("magistrate.yaml"), "async: {context: off}\ntelemetry: on\n");
        AgentConfig config = AgentConfig.load(null, Map.of(), Map.of(), dir);
        assertFalse(config.onOff(AgentConfig.ASYNC_CONTEXT, true));
        assertTrue(config.onOff(AgentConfig.TELEMETRY, false));
    }

    @Test
    void anUnknownValueIsAConfigurationErrorNamingTheSettingAndItsSourceNotSilentlyOnOrOff() throws Exception {
        for (String key : SWITCHES) {
            AgentConfig fromProperty = AgentConfig.load(null, Map.of(), Map.of(key, "yes"), dir);
            AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class, () -> fromProperty.onOff(key, true), key);
            assertEquals("system property -D" + key + ": " + key + ": 'yes' is not on or off (true or false)", e.getMessage());
        }
        // The one that was parsed inline before, where anything but off/false meant on.
        AgentConfig async = AgentConfig.load("async.context=disabled", Map.of(), Map.of(), dir);
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class, () -> async.onOff(AgentConfig.ASYNC_CONTEXT, true));
        assertEquals("agent argument async.context: magistrate.async.context: 'disabled' is not on or off (true or false)", e.getMessage());
        Files.writeString(dir.resolve("magistrate.yaml"), "watch: {policy: 1}\n");
        AgentConfig fromFile = AgentConfig.load(null, Map.of(), Map.of(), dir);
        e = assertThrows(AgentConfig.ConfigException.class, fromFile::settings);
        assertEquals(dir.resolve("magistrate.yaml") + ": magistrate.watch.policy: '1' is not on or off (true or false)", e.getMessage());
    }
}
