package dev.magistrate.agent;

import dev.magistrate.agent.internal.AgentConfig;
import dev.magistrate.audit.AuditObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** magistrate.telemetry from each configuration source: on by default, off in any of its spellings, anything else an error naming its source. */
class TelemetryConfigTest {

    @TempDir
    Path dir;

    private AuditObserver telemetry(String agentArgs, Map<String, String> env, Map<Object, Object> sysProps) {
        return AgentConfig.load(agentArgs, env, sysProps, dir).settings().telemetry();
    }

    @Test
    void onByDefaultAndOffFromTheFileTheEnvironmentAPropertyOrTheAgentArgument() throws Exception {
        assertNull(telemetry("", Map.of(), Map.of()), "the default: OpenTelemetry's global instance, when the application has the API");
        assertNull(telemetry("telemetry=on", Map.of(), Map.of()));
        Files.writeString(dir.resolve("magistrate.yaml"), "telemetry: off\n"); // YAML reads a bare off as false
        assertEquals(AuditObserver.NONE, telemetry("", Map.of(), Map.of()));
        Files.delete(dir.resolve("magistrate.yaml"));
        assertEquals(AuditObserver.NONE, telemetry("", Map.of("MAGISTRATE_TELEMETRY", "off"), Map.of()));
        assertEquals(AuditObserver.NONE, telemetry("", Map.of(), Map.of("magistrate.telemetry", "OFF")));
        assertEquals(AuditObserver.NONE, telemetry("telemetry=false", Map.of(), Map.of()));
    }

    @Test
    void anyOtherValueIsAnErrorNamingItsSource() {
        AgentConfig.ConfigException e = assertThrows(AgentConfig.ConfigException.class,
                () -> telemetry("", Map.of(), Map.of("magistrate.telemetry", "maybe")));
        assertEquals("system property -Dmagistrate.telemetry: magistrate.telemetry: 'maybe' is not on or off (true or false)", e.getMessage());
    }
}
