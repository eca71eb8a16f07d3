package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditPayload;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: an application under the agent cannot see the engine, yet it publishes a signal over JMX from its own code,
 * and its next governed call's tier rises while the signal holds; the decision's audit entry records the signal.
 */
class SignalJmxIT {

    static final String POLICY = """
            default: T0
            policies:
              - name: incident
                condition: "signal.incident >= 1"
                raise_tier: 1
            """;

    @Test
    void aSignalSetOverJmxByTheApplicationRaisesTheTierOfItsNextCall(@TempDir Path dir) throws Exception {
        run(dir, AgentRun.java());
    }

    @Test
    void theSameOnTheTemurin25Jdk(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        run(dir, AgentRun.JDK25.toString());
    }

    private void run(Path dir, String javaBin) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n");
        AgentRun.Result r = AgentRun.withAgent(javaBin, dir, AgentRun.appClasspath(), "example.app.SignalApp");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("OK web deployed", r.outcome("calm"));
        assertTrue(r.outcome("incident").startsWith("DENIED ") && r.outcome("incident").contains("no approval backend"),
                "T1 while the incident signal holds, and no one configured to approve: " + r);
        assertEquals("OK db deployed", r.outcome("cleared"));

        List<AuditPayload.Decision> decisions = InterceptionIT.readAudit(dir.resolve("audit")).stream().flatMap(e -> e.payload().steps().stream())
                .filter(p -> p instanceof AuditPayload.Decision).map(p -> (AuditPayload.Decision) p).toList();
        assertEquals(List.of("T0", "T1", "T0"), decisions.stream().map(AuditPayload.Decision::tier).toList());
        assertEquals(List.of("incident"), decisions.get(1).rules());
        assertEquals(List.of("signal.incident=1.0"), decisions.get(1).signals());
        assertEquals(List.of("signal.incident=missing"), decisions.get(2).signals());
    }
}
