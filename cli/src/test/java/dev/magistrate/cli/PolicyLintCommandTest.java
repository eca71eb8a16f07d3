package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.magistrate.cli.PolicyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** policy lint without the agent jar: the policy's own logic; a class path needs the agent (javaagent's PolicyLintTest). */
class PolicyLintCommandTest {

    @Test
    void theSamplePolicyIsConsistentInItself() {
        PolicyCommandTest.Run r = run("lint", PolicyCommandTest.OPS.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals("0 errors, 0 warnings in 12 rules (arguments and actions not checked: no --classpath)", r.out().strip());
    }

    @Test
    void aRuleThatCanNeverMatchFailsAndAConflictOnlyWarns(@TempDir Path dir) throws Exception {
        Path never = dir.resolve("never.yaml");
        Files.writeString(never, "policies:\n  - name: cheap and dear\n    condition: \"cost > 10 and cost < 5\"\n    risk_tier: T1\n");
        PolicyCommandTest.Run r = run("lint", never.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().startsWith(never + ":3:36: error: rule 'cheap and dear' can never match: cost > 10 and cost < 5 cannot both hold [never-matches]"), r.out());

        Path conflict = dir.resolve("conflict.yaml");
        Files.writeString(conflict, """
                policies:
                  - {name: deploys, condition: "action == 'deploy'", risk_tier: T2}
                  - {name: quick deploys, condition: "action == 'deploy'", risk_tier: T0}
                """);
        PolicyCommandTest.Run w = run("lint", conflict.toString(), "--json");
        assertEquals(0, w.status(), w.out() + w.err());
        JsonNode json = new ObjectMapper().readTree(w.out());
        assertEquals(0, json.get("errors").asInt());
        assertEquals(1, json.get("warnings").asInt());
        JsonNode f = json.get("findings").get(0);
        assertEquals("warning", f.get("severity").asText());
        assertEquals("conflict", f.get("code").asText());
        assertEquals("quick deploys", f.get("rule").asText());
        assertEquals(3, f.get("line").asInt());
        assertEquals(6, f.get("column").asInt());
        assertTrue(f.get("suggestion").isNull());
        assertTrue(!json.get("code_checked").asBoolean());
    }

    @Test
    void unreadableInputExits2AndAPolicyThatDoesNotLoadExits1(@TempDir Path dir) throws Exception {
        assertEquals(2, run("lint", dir.resolve("missing.yaml").toString()).status());
        PolicyCommandTest.Run noAgent = run("lint", PolicyCommandTest.OPS.toString(), "--classpath", dir.toString());
        assertEquals(2, noAgent.status());
        assertTrue(noAgent.err().contains("--classpath needs the agent jar"), noAgent.err());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "policies:\n  - name: a\n    condition: \"agnet == 'x'\"\n    risk_tier: T1\n");
        PolicyCommandTest.Run invalid = run("lint", bad.toString());
        assertEquals(1, invalid.status());
        assertTrue(invalid.err().contains(bad + ":3:17: unknown name 'agnet'"), invalid.err());
    }
}
