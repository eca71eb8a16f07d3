package dev.magistrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.cli.MagistrateCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, lint: {@code policy lint --classpath} as the agent jar's command line runs it, on the ops sample's own
 * classes (compiled here from samples/ops-agent, since this module builds before the samples) and policy.
 */
class PolicyLintTest {

    static final Path SAMPLE = DocSnippetsTest.ROOT.resolve("samples/ops-agent");
    static final Path OPS_POLICY = SAMPLE.resolve("policies/ops-policy.yaml");

    @TempDir
    static Path opsClasses;

    record Run(int status, String out, String err) {
    }

    /** The ops sample compiled as its pom does (with -parameters), against this test's class path (annotations, Jackson). */
    @BeforeAll
    static void compileTheOpsSample() throws Exception {
        List<String> args = new ArrayList<>(List.of("-parameters", "-d", opsClasses.toString(), "-cp", System.getProperty("java.class.path")));
        try (Stream<Path> s = Files.walk(SAMPLE.resolve("src/main/java"))) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        assertEquals(0, javac.run(null, diagnostics, diagnostics, args.toArray(new String[0])), diagnostics::toString);
    }

    static Run lint(String... args) {
        List<String> argv = new ArrayList<>(List.of("policy", "lint"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), List.of());
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theSamplePolicyNamesTwoActionsTheSampleDoesNotHave() {
        Run r = lint(OPS_POLICY.toString(), "--classpath", opsClasses.toString(), "--config", SAMPLE.resolve("magistrate.yaml").toString());
        // Every argument the policy reads (sql, table, amount, ...) exists with a fitting type; but the policy also
        // governs a deploy tool and a billing read that this sample does not ship.
        assertEquals(List.of(
                OPS_POLICY + ":8:62: error: no governed method has the action 'get_bill' [unknown-action]",
                OPS_POLICY + ":31:27: error: no governed method has the action 'deploy' [unknown-action]",
                OPS_POLICY + ":68:45: error: no governed method has the action 'deploy' [unknown-action]",
                "3 errors, 0 warnings in 12 rules, checked against 7 governed methods of 7 actions"), r.out().lines().toList(), r.err());
        assertEquals(1, r.status());
    }

    @Test
    void aWrongPolicyAgainstTheSampleGetsEveryFindingWithItsPlaceAndASuggestion(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("wrong.yaml");
        Files.writeString(policy, """
                policies:
                  - name: big scale-ups
                    condition: "action == 'scale_service' and args.too > 100"
                    risk_tier: T3
                  - name: all refunds
                    condition: "action == 'refund_order' and amount == 'all'"
                    risk_tier: T2
                  - name: terminations
                    condition: "action == 'terminate_instance'"
                    risk_tier: T2
                  - name: no writes
                    condition: "action == 'run_database_operation'"
                    effect: deny
                    reason: read-only today
                  - name: inserts
                    condition: "action == 'run_database_operation' and sql startsWith 'INSERT'"
                    risk_tier: T1
                """);
        Run r = lint(policy.toString(), "--classpath", opsClasses.toString(), "--json");
        assertEquals(1, r.status(), r.out() + r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(3, json.get("errors").asInt(), r.out());
        assertEquals(1, json.get("warnings").asInt(), r.out());
        JsonNode args = json.get("findings").get(0);
        assertEquals("unknown-argument", args.get("code").asText());
        assertEquals(3, args.get("line").asInt());
        assertEquals(47, args.get("column").asInt());
        assertEquals("did you mean `to`?", args.get("suggestion").asText());
        JsonNode type = json.get("findings").get(1);
        assertEquals("argument-type", type.get("code").asText());
        assertTrue(type.get("message").asText().contains("'args.amount' is a number (double): '==' 'all' is never true"), type.toString());
        JsonNode action = json.get("findings").get(2);
        assertEquals("unknown-action", action.get("code").asText());
        assertEquals("did you mean `terminate_instances`?", action.get("suggestion").asText());
        JsonNode shadowed = json.get("findings").get(3);
        assertEquals("shadowed", shadowed.get("code").asText());
        assertEquals("inserts", shadowed.get("rule").asText());
    }

    /** docs/policy-language.md, "Lint": its example policy, linted against the ops sample, prints what the page shows. */
    @Test
    void theDocumentedExamplePrintsWhatTheDocsShow(@TempDir Path dir) throws Exception {
        Path page = DocSnippetsTest.ROOT.resolve("docs/policy-language.md");
        DocSnippetsTest.Snippet snippet = DocSnippetsTest.snippets(page).stream().filter(s -> s.yaml().contains("name: big scale-ups"))
                .findFirst().orElseThrow(() -> new AssertionError("docs/policy-language.md has the lint example policy"));
        Path policy = dir.resolve("lint-example.yaml");
        Files.writeString(policy, snippet.yaml().stripLeading());
        String markdown = Files.readString(page);
        String command = "$ magistrate policy lint lint-example.yaml --classpath samples/ops-agent/target/classes\n";
        int at = markdown.indexOf(command);
        assertTrue(at > 0, "the page shows the command " + command);
        String shown = markdown.substring(at + command.length(), markdown.indexOf("```", at));
        Run r = lint(policy.toString(), "--classpath", opsClasses.toString());
        assertEquals(shown, r.out().replace(dir + java.io.File.separator, ""), r.err());
        assertEquals(1, r.status());
    }

    @Test
    void aClassPathThatCannotBeReadExits2(@TempDir Path dir) {
        Run r = lint(OPS_POLICY.toString(), "--classpath", dir.resolve("nothing-here").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--classpath: no such file or directory"), r.err());
    }
}
