package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** policy check / eval / test, on the sample ops policy that the demo runs. */
class PolicyCommandTest {

    static final Path OPS = Path.of("..", "samples", "ops-agent", "policies", "ops-policy.yaml");
    static final Path OPS_TESTS = Path.of("..", "samples", "ops-agent", "policies", "ops-policy.test.yaml");

    record Run(int status, String out, String err) {
    }

    /** {@code magistrate policy ARGS...}, in process. */
    static Run run(String... args) {
        List<String> argv = new ArrayList<>(List.of("policy"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkAcceptsTheSamplePolicyAndReportsErrorsWithTheirLocation(@TempDir Path dir) throws Exception {
        Run ok = run("check", OPS.toString());
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().startsWith("OK 12 rules"), ok.out());
        // The README replays the demo's trail against this revision of the sample policy.
        Run candidate = run("check", OPS.getParent().resolveSibling("candidate-policy.yaml").toString());
        assertEquals(0, candidate.status(), candidate.err());
        assertTrue(candidate.out().startsWith("OK 14 rules"), candidate.out());

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "policies:\n  - name: a\n    condition: \"agnet == 'x'\"\n    risk_tier: T5\n");
        Run failed = run("check", bad.toString());
        assertEquals(1, failed.status());
        assertTrue(failed.err().contains(bad + ":3:17: unknown name 'agnet'"), failed.err());
        assertTrue(failed.err().contains(bad + ":4:16: unknown risk tier 'T5'"), failed.err());
    }

    @Test
    void evalPrintsTheDecisionAsJson() throws Exception {
        Run r = run("eval", OPS.toString(), "--action", "scale_service", "--cost", "47000", "--agent", "cost-agent",
                "--arg", "service=web", "--arg", "to=200", "--time", "2026-11-24T03:00:00Z", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("approve", j.get("effect").asText());
        assertEquals("T3", j.get("tier").asText());
        assertEquals(2, j.get("approvals").asInt());
        assertTrue(j.get("mfa").asBoolean());
        assertEquals(List.of("sre", "engineering_director", "cfo"), List.of(j.get("roles").get(0).asText(), j.get("roles").get(1).asText(), j.get("roles").get(2).asText()));
        assertEquals("High-Cost Infrastructure", j.get("rules").get(1).asText());
        assertEquals(64, j.get("policy_version").asText().length());

        Run deny = run("eval", OPS.toString(), "--action", "run_database_operation", "--arg", "sql=drop table users", "--arg", "table=users");
        assertEquals(0, deny.status());
        assertTrue(deny.out().startsWith("deny at T3: rule 'No DROP'"), deny.out());
    }

    @Test
    void evalUsageErrorsExitWithTwo() {
        assertEquals(2, run("eval", OPS.toString()).status());
        assertEquals(2, run("eval", "--action", "x").status());
        assertEquals(2, run("eval", OPS.toString(), "--action", "x", "--arg", "novalue").status());
        assertEquals(2, run("eval", OPS.toString(), "--action", "x", "--cost", "lots").status());
        assertEquals(2, run("eval", OPS.toString(), "--action", "x", "--bogus", "1").status());
        assertEquals(2, run("frobnicate").status());
        assertEquals(2, run().status());
        assertEquals(0, run("eval", "--help").status());
    }

    @Test
    void testRunsTheSampleCasesAndClosesWithACount() {
        Run r = run("test", OPS_TESTS.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("PASS  Health checks run without anyone asked"), r.out());
        assertTrue(r.out().strip().endsWith("9 passed, 0 failed"), r.out());
    }

    @Test
    void aFailingCaseSaysWhatDiffered(@TempDir Path dir) throws Exception {
        Files.copy(OPS, dir.resolve("ops.yaml"));
        Path tests = dir.resolve("ops.test.yaml");
        Files.writeString(tests, """
                policy: ops.yaml
                cases:
                  - name: scaling is T3
                    call: {action: scale_service, time: "2026-11-24T12:00:00Z"}
                    expect: {tier: T3, effect: approve}
                  - name: reads are T0
                    call: {action: health_check}
                    expect: {tier: T0}
                """);
        Run r = run("test", tests.toString());
        assertEquals(1, r.status());
        assertTrue(r.out().contains("FAIL  scaling is T3"), r.out());
        assertTrue(r.out().contains("expected tier T3, got T2"), r.out());
        assertTrue(r.out().strip().endsWith("1 passed, 1 failed"), r.out());
    }

    @Test
    void mistakesInATestFileAreLocated(@TempDir Path dir) throws Exception {
        Files.copy(OPS, dir.resolve("ops.yaml"));
        Path tests = dir.resolve("t.yaml");
        Files.writeString(tests, "policy: ops.yaml\ncases:\n  - name: x\n    call: {action: health_check}\n    expect: {teir: T0}\n");
        Run r = run("test", tests.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains(tests + ":5:14: unknown expect key 'teir': did you mean 'tier'?"), r.err());
    }

    /** The exit-status contract (docs/cli.md): 0 an answer, 1 a negative answer about the input, 2 input that cannot be read. */
    @Test
    void exitStatusSaysWhetherTheInputWasBadOrCouldNotBeRead(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.yaml");
        for (String[] cmd : List.of(new String[]{"check", missing.toString()}, new String[]{"eval", missing.toString(), "--action", "a"},
                new String[]{"test", missing.toString()})) {
            Run r = run(cmd);
            assertEquals(2, r.status(), cmd[0] + ": " + r.err());
            assertTrue(r.err().contains("no such policy file or directory: " + missing), r.err());
        }
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "policies:\n  - name: a\n    condition: \"agnet == 'x'\"\n");
        assertEquals(1, run("eval", bad.toString(), "--action", "a").status(), "a policy that does not load is a negative answer");
        Run denied = run("eval", OPS.toString(), "--action", "run_database_operation", "--arg", "sql=DROP TABLE users", "--arg", "table=users");
        assertEquals(0, denied.status(), "a decision, even a denial, is an answer: " + denied.err());
        assertTrue(denied.out().contains("deny"), denied.out());
    }

    /** Issue 13: --arg x=true passes a boolean, and a rule written with the text 'true' sees it as one. */
    @Test
    void aBooleanArgumentMatchesARuleWrittenWithItsText(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("p.yaml");
        Files.writeString(p, """
                policies:
                  - {name: sensitive, condition: "action == 'export' and args.sensitive == 'true'", risk_tier: T3}
                  - {name: routine, condition: "action == 'export' and not (args.sensitive == 'true')", risk_tier: T0}
                """);
        Run yes = run("eval", p.toString(), "--action", "export", "--arg", "sensitive=true", "--json");
        assertEquals(0, yes.status(), yes.err());
        assertEquals("T3", new ObjectMapper().readTree(yes.out()).get("tier").asText(), yes.out());
        Run no = run("eval", p.toString(), "--action", "export", "--arg", "sensitive=false", "--json");
        assertEquals("T0", new ObjectMapper().readTree(no.out()).get("tier").asText(), no.out());
    }

    static final String GUARDED = """
            default: T0
            policies:
              - name: hourly budget
                condition: "action == 'scale_web' and sum(args.instances, 'scale_*', 1h) + args.instances > 20"
                effect: deny
                reason: "at most 20 instances an hour"
              - name: incident
                condition: "signal.error_rate > 0.05 or agent.denials_in_a_row >= 3"
                risk_tier: T2
            """;

    /** The state the engine keeps (signals, the denial streak, window totals) is given on the command line. */
    @Test
    void evalTakesSignalsTheDenialStreakAndWindowTotals(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("p.yaml");
        Files.writeString(p, GUARDED);
        Run calm = run("eval", p.toString(), "--action", "scale_web", "--arg", "instances=3", "--window", "sum(args.instances,'scale_*',60m)=10");
        assertEquals(0, calm.status(), calm.err());
        assertTrue(calm.out().startsWith("allow at T0"), calm.out());
        Run spent = run("eval", p.toString(), "--action", "scale_web", "--arg", "instances=3", "--window", "sum(args.instances, 'scale_*', 1h) = 18");
        assertTrue(spent.out().contains("hourly budget"), spent.out());
        assertTrue(spent.out().startsWith("deny"), spent.out());
        Run incident = run("eval", p.toString(), "--action", "restart", "--signal", "error_rate=0.07");
        assertTrue(incident.out().contains("T2"), incident.out());
        Run streak = run("eval", p.toString(), "--action", "restart", "--denials-in-a-row", "3");
        assertTrue(streak.out().contains("T2"), streak.out());
        Run quiet = run("eval", p.toString(), "--action", "restart", "--signal", "error_rate=0.01", "--denials-in-a-row", "2");
        assertTrue(quiet.out().startsWith("allow at T0"), quiet.out());
    }

    @Test
    void evalSaysWhichWindowItWasNotGivenAndRefusesOneThePolicyDoesNotRead(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("p.yaml");
        Files.writeString(p, GUARDED);
        Run missing = run("eval", p.toString(), "--action", "scale_web", "--arg", "instances=3");
        assertEquals(0, missing.status(), missing.err());
        assertTrue(missing.out().startsWith("deny"), "a window read without state fails closed: " + missing.out());
        assertTrue(missing.err().contains("no total was given for the window sum(args.instances, 'scale_*', 1h)"), missing.err());
        assertTrue(missing.err().contains("--window \"sum(args.instances, 'scale_*', 1h)=N\""), missing.err());
        Run typo = run("eval", p.toString(), "--action", "scale_web", "--window", "count(1h)=3");
        assertEquals(2, typo.status(), typo.err());
        assertTrue(typo.err().contains("the policy reads no window count(1h) (it reads: sum(args.instances, 'scale_*', 1h))"), typo.err());
        assertEquals(2, run("eval", p.toString(), "--action", "x", "--signal", "9lives=1").status());
        Run notAWindow = run("eval", p.toString(), "--action", "x", "--window", "count(1h) + 1=2");
        assertEquals(2, notAWindow.status());
        assertTrue(notAWindow.err().contains("'count(1h) + 1' is not one window"), notAWindow.err());
        Run badLength = run("eval", p.toString(), "--action", "x", "--window", "count(1x)=2");
        assertTrue(badLength.err().contains("'count(1x)' is not a window"), badLength.err());
        assertEquals(2, run("eval", p.toString(), "--action", "x", "--signal", "error_rate=high").status());
    }

    @Test
    void testFilesGiveSignalsStreaksAndWindowsWithLocatedMistakes(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("p.yaml"), GUARDED);
        Path tests = dir.resolve("p.test.yaml");
        Files.writeString(tests, """
                policy: p.yaml
                cases:
                  - name: budget spent
                    call: {action: scale_web, args: {instances: 3}, windows: {"sum(args.instances, 'scale_*', 1h)": 18}}
                    expect: {effect: deny, rules: [hourly budget]}
                  - name: budget left
                    call: {action: scale_web, args: {instances: 3}, windows: {"sum(args.instances, 'scale_*', 1h)": 2}}
                    expect: {effect: allow, tier: T0}
                  - name: incident
                    call: {action: restart, signals: {error_rate: 0.07}}
                    expect: {tier: T2}
                  - name: streak
                    call: {action: restart, denials_in_a_row: 3}
                    expect: {tier: T2}
                  - name: forgot the window
                    call: {action: scale_web, args: {instances: 3}}
                    expect: {effect: allow}
                """);
        Run r = run("test", tests.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().strip().endsWith("4 passed, 1 failed"), r.out());
        assertTrue(r.out().contains("no total was given for the window sum(args.instances, 'scale_*', 1h)"), r.out());

        Files.writeString(tests, """
                policy: p.yaml
                cases:
                  - name: bad state
                    call: {action: restart, signals: {error_rate: high}, denials_in_a_row: -1, windows: [1]}
                    expect: {tier: T2}
                """);
        Run bad = run("test", tests.toString());
        assertEquals(2, bad.status(), bad.err());
        assertTrue(bad.err().contains(tests + ":4:51: error_rate is a number"), bad.err());
        assertTrue(bad.err().contains("denials_in_a_row is a whole number, 0 or more"), bad.err());
        assertTrue(bad.err().contains("windows is a mapping"), bad.err());

        Files.writeString(tests, """
                policy: p.yaml
                cases:
                  - name: unread window
                    call: {action: restart, windows: {"count(1h)": 1, "count(": 2}}
                    expect: {tier: T0}
                """);
        Run unread = run("test", tests.toString());
        assertEquals(2, unread.status(), unread.err());
        assertTrue(unread.err().contains(tests + ":4:55: 'count(' is not a window"), unread.err());
        Files.writeString(tests, Files.readString(tests).replace(", \"count(\": 2", ""));
        unread = run("test", tests.toString());
        assertEquals(2, unread.status(), unread.err());
        assertTrue(unread.err().contains("case 'unread window' gives a total for the window count(1h), which the policy does not read"), unread.err());
    }
}
