package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A budget survives a kill -9: the JVM that spent part of it dies, and the next one on the same audit trail still counts it. */
class BudgetRestartIT {

    static final String APP = "example.app.BudgetApp";
    static final String POLICY = """
            default: T0
            policies:
              - name: hourly-scale-budget
                condition: "action == 'scale_service' and sum(args.instances, 1h) + args.instances > 20"
                effect: deny
                reason: "the hourly budget of 20 instances is spent"
            """;

    @TempDir
    Path dir;

    @Test
    void aJvmKilledAfterSpendingPartOfABudgetLeavesItSpentForTheNextOne() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n");

        Path out = dir.resolve("first-stdout.txt");
        Process first = new ProcessBuilder(AgentRun.java(), "-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"),
                "-cp", AgentRun.appClasspath(), APP, "8", "8", "hang")
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(dir.resolve("first-stderr.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(out, StandardCharsets.UTF_8).contains("HANGING")) {
                if (!first.isAlive() || System.nanoTime() > deadline) {
                    fail("the first JVM did not spend its budget and wait: " + Files.readString(out) + Files.readString(dir.resolve("first-stderr.txt")));
                }
                Thread.sleep(50);
            }
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no orderly close of the audit log
        }
        first.waitFor(60, TimeUnit.SECONDS);
        String spent = Files.readString(out);
        assertTrue(spent.contains("CASE scale-0 OK web scaled up by 8") && spent.contains("CASE scale-1 OK web scaled up by 8"), spent);
        assertEquals(137, first.exitValue(), "killed, not exited");

        AgentRun.Result second = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "5", "4");
        assertTrue(second.outcome("scale-0").contains("the hourly budget of 20 instances is spent (budget sum(args.instances, 1h): 16 used by agent"),
                second::toString);
        assertEquals("OK web scaled up by 4", second.outcome("scale-1"), "16 + 4 is within the budget of 20");

        List<AuditEvent> events = InterceptionIT.readAudit(dir.resolve("audit"));
        // Each T0 call that ran is one CALL_GRANTED entry (submitted, decided, started), carrying what it spent.
        assertEquals(3, events.stream().filter(e -> e.type() == AuditEventType.CALL_GRANTED).count());
        assertEquals(0, events.stream().filter(e -> e.type() == AuditEventType.EXECUTION_STARTED).count());
        assertTrue(events.stream().anyMatch(e -> e.type() == AuditEventType.CALL_GRANTED
                && List.of("8 sum(args.instances, 1h)").equals(e.fields().get("window_spend"))), "the spend is in the grant's entry");
    }
}
