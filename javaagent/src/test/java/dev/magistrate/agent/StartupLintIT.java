package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, lint at agent start: a real child JVM under the agent, whose policy reads {@code args.instance} where the
 * governed parameter is {@code instances}. The agent says so on stderr with the place and the fix, once, and starts.
 */
class StartupLintIT {

    @TempDir
    Path dir;

    @Test
    void aPolicyThatReadsAnArgumentTheToolDoesNotHaveIsNamedAtStartAndTheAgentStartsAnyway() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                default: T1
                policies:
                  - name: big scale-ups
                    condition: "action == 'scale_service' and args.instance > 50"
                    effect: deny
                    reason: "more than 50 instances needs a person"
                  - name: small scale-ups
                    condition: "action == 'scale_service' and instances <= 50"
                    risk_tier: T0
                  - name: cheap and dear
                    condition: "cost > 10 and cost < 5"
                    risk_tier: T2
                """);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "interface");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("OK web scaled to 25", r.outcome("interface"), "the agent started and governs as before: " + r);

        List<String> lint = r.err().lines().filter(l -> l.startsWith("[magistrate] WARN policy lint: ")).toList();
        assertEquals(2, lint.size(), r::toString);
        // The policy's own finding comes when it loads; the argument's when the tool's class is instrumented.
        assertTrue(lint.get(0).matches("\\[magistrate] WARN policy lint: \\S*policy\\.yaml:11:36: error: rule 'cheap and dear' can never match:"
                + " cost > 10 and cost < 5 cannot both hold \\[never-matches]"), lint.get(0));
        assertTrue(lint.get(1).matches("\\[magistrate] WARN policy lint: \\S*policy\\.yaml:4:47: error: 'args\\.instance' is never set:"
                + " no governed method of 'scale_service' has an argument 'instance' \\(example\\.app\\.Tools\\$CloudScaler#scale\\(service, instances\\)\\)"
                + " \\(did you mean `instances`\\?\\) \\[unknown-argument]"), lint.get(1));
    }
}
