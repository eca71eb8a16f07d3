package dev.magistrate.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kind of mistake is reported as file:line:col with the line and a caret, and nothing loads. */
class ErrorMessageTest {

    static List<PolicyError> errors(String yaml) {
        return assertThrows(PolicyException.class, () -> PolicyLoader.parse("ops.yaml", yaml)).errors();
    }

    static void assertError(PolicyError e, int line, int column, String fragment) {
        assertEquals("ops.yaml", e.location().file());
        assertEquals(line, e.location().line(), () -> "line of: " + e.format());
        assertEquals(column, e.location().column(), () -> "column of: " + e.format());
        assertTrue(e.message().contains(fragment), () -> "expected '" + fragment + "' in: " + e.message());
    }

    static PolicyError only(String yaml) {
        List<PolicyError> all = errors(yaml);
        assertEquals(1, all.size(), () -> "expected one error, got: " + all);
        return all.get(0);
    }

    static String rule(String conditionLine) {
        return "policies:\n  - name: a\n    condition: " + conditionLine + "\n    risk_tier: T1\n";
    }

    @Test
    void formatShowsTheLineAndACaretUnderTheColumn() {
        PolicyError e = only(rule("\"agnet == 'x'\""));
        assertEquals("""
                ops.yaml:3:17: unknown name 'agnet': did you mean 'agent'? (to read an argument called 'agnet', write args.agnet)
                        condition: "agnet == 'x'"
                                    ^""", e.format());
    }

    @Test
    void yamlSyntaxErrors() {
        assertError(only("policies:\n  - name: a\n    condition: \"x == 1\n    risk_tier: T1\n"), 3, 14, "invalid YAML");
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n   risk_tier: T1\n"), 4, 4, "invalid YAML");
        assertError(only("policies: []\nfoo: 1\npolicies: []\n"), 3, 1, "duplicate key 'policies'");
        assertError(only("- a\n- b\n"), 1, 1, "a policy file is a mapping");
        assertError(only("policies:\n  - &x {name: a, condition: \"true\", risk_tier: T2}\n  - *x\n"), 3, 5, "aliases");
        assertError(only("policies: 3\n"), 1, 11, "'policies' is a list");
        assertError(only(""), 1, 1, "missing 'policies'");
    }

    @Test
    void unknownKeysAreErrorsWithSuggestions() {
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n    risk_tier: T1\n    risk_teir: T1\n"), 5, 5,
                "unknown policy key 'risk_teir': did you mean 'risk_tier'?");
        assertError(only("polices:\n  - {name: a, condition: \"true\", risk_tier: T1}\n"), 1, 1,
                "unknown top-level key 'polices': did you mean 'policies'?");
        assertError(only("policies: []\ndefault:\n  risk_tier: T1\n  colour: red\n"), 4, 3, "unknown key in 'default' 'colour'");
    }

    @Test
    void unknownTiersAndEffects() {
        assertError(only(rule("\"true\"").replace("T1", "T4")), 4, 16, "unknown risk tier 'T4': expected T0, T1, T2 or T3");
        assertError(only(rule("\"true\"").replace("T1", "t2")), 4, 16, "write it as T2");
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n    effect: block\n    reason: r\n"), 4, 13, "unknown effect 'block'");
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n"), 2, 5, "missing risk_tier");
        assertError(only("policies:\n  - name: a\n    risk_tier: T1\n"), 2, 5, "missing condition in policy 'a'");
        assertError(only("policies: []\ndefault: T9\n"), 2, 10, "unknown risk tier 'T9'");
    }

    @Test
    void syntaxErrorsPointInsideTheCondition() {
        assertError(only(rule("\"action == 'deploy' AND\"")), 3, 39, "condition ends where a value was expected");
        assertError(only(rule("\"action == 'x\"")), 3, 27, "unterminated string");
        assertError(only(rule("action = 'x'")), 3, 23, "use '==' to compare");
        assertError(only(rule("\"a == 1 == 2\"")), 3, 24, "comparisons do not chain");
        assertError(only(rule("\"(a == 1\"")), 3, 24, "expected ')'");
        assertError(only(rule("\"a == 1 b\"")), 3, 24, "after a complete expression");
        assertError(only(rule("\"a & b\"")), 3, 19, "use '&&' or 'and'");
        assertError(only(rule("\"a == 'x' #\"")), 3, 26, "unexpected character '#'");
        assertError(only(rule("\"cost > 5x\"")), 3, 25, "unknown duration unit 'x'");
        assertError(only(rule("\"''\"")), 3, 17, "a condition must be true or false");
        assertError(only(rule("\"\"")), 3, 17, "empty condition");
    }

    @Test
    void checkErrors() {
        assertError(only(rule("'lowr(action) == ''x'''")), 3, 17, "unknown function 'lowr()': did you mean 'lower()'?");
        assertError(only(rule("\"frobnicate(action)\"")), 3, 17, "unknown function 'frobnicate()'");
        assertError(only(rule("\"len(a, b) == 1\"")), 3, 17, "len() takes 1 argument, not 2");
        assertError(only(rule("\"agnet == 'x'\"")), 3, 17, "did you mean 'agent'?");
        assertError(only(rule("\"time.hr > 3\"")), 3, 17, "'time.hr' is not a time attribute: use time.hour or time.weekday");
        assertError(only(rule("\"time.huor > 3\"")), 3, 17, "did you mean 'time.hour'");
        assertError(only(rule("\"action.name == 'x'\"")), 3, 17, "'action' has no fields");
        assertError(only(rule("\"args == 1\"")), 3, 17, "'args' needs an argument name");
        assertError(only(rule("\"'abc' > 5\"")), 3, 23, "compares a string with a number");
        assertError(only(rule("\"cost * 2\"")), 3, 17, "a condition must be true or false, but this is a number");
        assertError(only(rule("\"x matches y\"")), 3, 27, "'matches' takes a regular expression in quotes");
        assertError(only(rule("\"x in 'abc'\"")), 3, 22, "needs a list");
        assertError(only(rule("\"not 5\"")), 3, 21, "'not' needs true or false");
        assertError(only(rule("\"x > null\"")), 3, 21, "use '== null'");
        assertError(only(rule("\"upper(5) == 'A'\"")), 3, 23, "upper() works on text");
    }

    @Test
    void locationsFollowYamlQuotingStyles() {
        // Single quotes: '' is one character in the value and two in the file.
        assertError(only(rule("'action == ''it\\''s'' and agnet'")), 3, 42, "did you mean 'agent'?");
        // Double quotes: a \\u escape is one character in the value and six in the file.
        assertError(only(rule("\"\\u0061ction == 'x' and agnet == 1\"")), 3, 40, "did you mean 'agent'?");
        // Plain scalar.
        assertError(only(rule("action == 'x' and agnet == 1")), 3, 34, "did you mean 'agent'?");
        // Literal block: the second line of the condition is line 5 of the file.
        String literal = "policies:\n  - name: a\n    condition: |\n      action == 'deploy'\n        and resource matches '(unclosed'\n    risk_tier: T1\n";
        assertError(only(literal), 5, 30, "invalid regular expression");
        // Folded block.
        String folded = "policies:\n  - name: a\n    condition: >\n      action == 'x' and\n      time.hr > 3\n    risk_tier: T1\n";
        assertError(only(folded), 5, 7, "not a time attribute");
        // A multi-line double-quoted scalar folds its lines: point at the scalar and say where in the condition.
        PolicyError e = only(rule("\"cost\n      > 'x' and agnet\""));
        assertError(e, 3, 16, "(at character 16 of the condition)");
    }

    @Test
    void contradictionsBetweenTierAndSettings() {
        assertError(only(rule("\"true\"") + "    required_approvals: 2\n"), 5, 25, "T1 means one approval, not 2: use T2");
        assertError(only(rule("\"true\"").replace("T1", "T2") + "    required_approvals: 1\n"), 5, 25, "T2 is multi-party");
        assertError(only(rule("\"true\"").replace("T1", "T0") + "    required_roles: [x]\n"), 5, 5, "T0 is granted without anyone asked");
        assertError(only(rule("\"true\"").replace("T1", "T3") + "    requires_mfa: false\n"), 5, 19, "T3 always requires MFA");
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n    effect: deny\n"), 4, 5, "a deny needs a reason");
        assertError(only("policies:\n  - name: a\n    condition: \"true\"\n    effect: deny\n    reason: r\n    required_approvals: 2\n"),
                6, 5, "no meaning on a deny");
        assertError(only(rule("\"true\"") + "    reason: because\n"), 5, 5, "'reason' explains a deny");
        assertError(only(rule("\"true\"") + "    timeout: 30\n"), 5, 14, "a duration in quotes");
        assertError(only(rule("\"true\"") + "    timeout: soon\n"), 5, 14, "is a duration like");
        assertError(only(rule("\"true\"") + "    requires_mfa: sometimes\n"), 5, 19, "requires_mfa is true or false");
        assertError(only(rule("\"true\"") + "    required_roles: [a, a]\n"), 5, 25, "listed twice");
    }

    @Test
    void duplicateRuleNamesAcrossFilesNameBothPlaces(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "policies:\n  - {name: same, condition: \"true\", risk_tier: T1}\n");
        Files.writeString(dir.resolve("b.yaml"), "\npolicies:\n  - {name: same, condition: \"true\", risk_tier: T2}\n");
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir));
        assertEquals(1, e.errors().size());
        PolicyError err = e.errors().get(0);
        assertEquals(dir.resolve("b.yaml").toString(), err.location().file());
        assertEquals(3, err.location().line());
        assertTrue(err.message().contains("also at " + dir.resolve("a.yaml") + ":2:"), err.message());
    }

    @Test
    void everyErrorOfAFileIsReportedInOrder() {
        String yaml = """
                policies:
                  - name: one
                    condition: "agnet == 'x'"
                    risk_tier: T1
                  - name: two
                    condition: "true"
                    risk_tier: T7
                  - name: three
                    condition: "action == 'x'"
                    risk_tier: T2
                    colour: blue
                """;
        List<PolicyError> all = errors(yaml);
        assertEquals(3, all.size(), all::toString);
        assertError(all.get(0), 3, 17, "did you mean 'agent'");
        assertError(all.get(1), 7, 16, "unknown risk tier 'T7'");
        assertError(all.get(2), 11, 5, "unknown policy key 'colour'");
        assertTrue(new PolicyException(all).getMessage().startsWith("ops.yaml:3:17: "));
    }

    @Test
    void unreadableFilesAndEmptyDirectories(@TempDir Path dir) throws Exception {
        PolicyException missing = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("nope.yaml")));
        assertTrue(missing.getMessage().contains("nope.yaml:1:1: cannot read policy file"), missing.getMessage());
        PolicyException empty = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir));
        assertTrue(empty.getMessage().contains("no .yaml or .yml policy files"), empty.getMessage());
        Files.write(dir.resolve("latin1.yaml"), new byte[]{'a', ':', ' ', (byte) 0xe9});
        PolicyException latin = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("latin1.yaml")));
        assertTrue(latin.getMessage().contains("not UTF-8"), latin.getMessage());
    }
}
