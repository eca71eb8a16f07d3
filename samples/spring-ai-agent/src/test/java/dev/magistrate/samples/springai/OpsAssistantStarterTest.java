package dev.magistrate.samples.springai;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same application without -javaagent: magistrate-spring-boot-starter (on the test class path) governs the @Tool
 * bean through Spring AOP, from magistrate.* properties, and the model reads the denial as the tool's result.
 */
@SpringBootTest
@ExtendWith(OutputCaptureExtension.class)
class OpsAssistantStarterTest {

    @TempDir
    static Path tmp;

    @DynamicPropertySource
    static void magistrate(DynamicPropertyRegistry properties) {
        properties.add("magistrate.policy", () -> Path.of(System.getProperty("sample.dir", ".")).resolve("policy.yaml").toString());
        properties.add("magistrate.audit.dir", () -> tmp.resolve("audit").toString());
        properties.add("magistrate.keys.dir", () -> tmp.resolve("keys").toString());
        properties.add("magistrate.agent.id", () -> "spring-ai-ops-assistant");
    }

    @Autowired
    OpsTools tools;

    @Test
    void theStarterGovernsTheToolsAndTheModelAsksForWhatIsAllowed(CapturedOutput output) {
        // The conversation ran while the context started (an ApplicationRunner).
        assertEquals(25, tools.instances("web"));
        String out = output.getOut();
        assertTrue(out.contains("model    < tool result: DENIED: 'scale_service' was not allowed by policy rule 'Scale-out ceiling'"), out);
        assertTrue(out.contains("model    < tool result: \"web now runs 25 instances\""), out);

        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        List<AuditEventType> types = events.stream().map(AuditEvent::type).toList();
        assertEquals(1, types.stream().filter(t -> t == AuditEventType.INTENT_DENIED).count(), types::toString);
        assertEquals(1, types.stream().filter(t -> t == AuditEventType.EXECUTION_COMPLETED).count(), types::toString);
        assertEquals("spring-ai-ops-assistant", events.get(0).fields().get("agent"));
    }
}
