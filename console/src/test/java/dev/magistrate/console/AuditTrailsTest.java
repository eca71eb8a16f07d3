package dev.magistrate.console;

import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Execution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console's history of an intent, read from a real audit log on disk. */
class AuditTrailsTest {

    @TempDir
    Path tmp;

    @Test
    void aT0GrantReadsAsRequestedDecidedAndStartedOnItsOneEntry() throws Exception {
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, "policies:\n  - {name: reads, condition: \"action == 'health_check'\", risk_tier: T0}\n");
        String id;
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(policy).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).agentId("ops-agent").build())) {
            Execution run = m.admit(m.intent("health_check").arg("service", "web").build());
            id = run.intentId();
            run.completed("healthy");
        }
        try (AuditTrails trails = new AuditTrails(tmp.resolve("audit"))) {
            List<AuditTrails.Step> steps = trails.of(id, intent -> true);
            assertEquals(2, steps.size(), steps::toString);
            assertEquals("requested by ops-agent: health_check; policy: allow at T0 (reads); call started", steps.get(0).what());
            assertTrue(steps.get(1).what().startsWith("call completed in "), steps::toString);
            assertEquals(steps.get(0).index() + 1, steps.get(1).index(), "each line names its entry's index in the log");
        }
    }
}
