package dev.magistrate.agent.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration file as premain reads it (SnakeYAML's composer, no Jackson): values as written, errors at file:line:col. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private AgentConfig load(String yaml) throws Exception {
        Files.writeString(dir.resolve("magistrate.yaml"), yaml);
        return AgentConfig.load("config=" + dir.resolve("magistrate.yaml"), Map.of(), Map.of(), dir);
    }

    @Test
    void nestedMappingsListsAndScalarsBecomeSettings() throws Exception {
        AgentConfig c = load("""
                agent: {id: "billing-bot"}
                govern:
                  annotations: [example.app.Tool, com.acme.Tool]
                  methods:
                    - 'example.app.Framework*#delete*'
                start: {timeout: 30}
                """);
        assertEquals("billing-bot", c.get(AgentConfig.AGENT_ID));
        assertEquals(java.util.List.of("example.app.Tool", "com.acme.Tool"), c.list(AgentConfig.GOVERN_ANNOTATIONS));
        assertEquals(java.util.List.of("example.app.Framework*#delete*"), c.list(AgentConfig.GOVERN_METHODS));
        assertEquals(30_000, c.startTimeoutMillis());
    }

    @Test
    void anEmptyFileSetsNothingAndBrokenYamlNamesFileLineAndColumn() throws Exception {
        load("");
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class, () -> load("policy: policy.yaml\nagent:\n  id: a: b\n"));
        assertTrue(e.getMessage().startsWith(dir.resolve("magistrate.yaml") + ":3:8: cannot read configuration: mapping values are not allowed here"),
                e.getMessage());
        e = assertThrows(AgentConfig.ConfigException.class, () -> load("- a\n- b\n"));
        assertTrue(e.getMessage().endsWith("a configuration file is a mapping of settings"), e.getMessage());
    }

    @Test
    void theAuditLogsLowSpacePropertyIsTheEnginesAndAMisspellingOfItIsStillRefused() {
        // docs/audit-trail.md tells users to set it with -D; the agent once refused it as an unknown setting, which denied every call.
        AgentConfig.load("", Map.of(), Map.of("magistrate.audit.lowSpaceWarningBytes", "1048576"), dir).settings();
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class,
                () -> AgentConfig.load("", Map.of(), Map.of("magistrate.audit.lowSpaceWarningByte", "1048576"), dir));
        assertTrue(e.getMessage().contains("system property -Dmagistrate.audit.lowSpaceWarningByte: unknown setting"), e.getMessage());
    }
}
