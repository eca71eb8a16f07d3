package dev.magistrate.policy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.magistrate.policy.ErrorMessageTest.assertError;
import static dev.magistrate.policy.ErrorMessageTest.only;
import static dev.magistrate.policy.ErrorMessageTest.rule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * One crafted argument must not freeze a decision: regexes run in linear time (RE2/J), so the
 * classic catastrophic-backtracking patterns decide at once, compiled and reference alike, and the
 * constructs that need backtracking are refused when the policy loads, at their line and column.
 */
class RegexCostTest {

    /** Generous: with backtracking each of these runs for minutes or years; linear, for milliseconds. */
    static final Duration BOUND = Duration.ofSeconds(2);

    static Stream<Arguments> catastrophicCases() {
        List<Arguments> cases = new ArrayList<>();
        String[] patterns = {"(a+)+$", "(a|aa)+$", "(.*a){20}", "(a*)*b", "^(a|a?)+$", "^(\\w+\\s?)*$", "(x+x+)+y",
                "^([a-zA-Z0-9]+)*@$", "(.*a){12}$"};
        for (String p : patterns) {
            for (int n : new int[]{40, 100_000}) {
                // The inputs that make a backtracking engine try every way to split the text.
                for (String text : new String[]{"a".repeat(n) + "!", "a".repeat(19) + "x".repeat(n - 19), "x".repeat(n)}) {
                    cases.add(Arguments.of(p, text, text.length()));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {2} characters")
    @MethodSource("catastrophicCases")
    void catastrophicPatternsDecideWithinABoundCompiledAndReference(String regex, String argument, int length) {
        PolicySet set = Conditions.single("sql matches '" + regex.replace("\\", "\\\\") + "' or args.other matches '" + regex.replace("\\", "\\\\") + "'");
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        PolicyRequest request = PolicyRequest.builder("db_query").arg("sql", argument).arg("other", argument).build();
        Decision fast = assertTimeoutPreemptively(BOUND, () -> compiled.decide(request), () -> "compiled: " + regex);
        Decision slow = assertTimeoutPreemptively(BOUND, () -> reference.decide(request), () -> "reference: " + regex);
        assertEquals(slow, fast, regex);
        // A real answer, not a denial because evaluation failed.
        assertNotEquals(Effect.DENY, fast.effect(), () -> fast.explain());
    }

    @Test
    void aMatchStillMatchesOnAHugeArgument() {
        PolicySet set = Conditions.single("sql matches '(a+)+$' and sql matches '(?i)\\bDROP\\s+TABLE\\b'");
        String sql = "select 1; drop  table t; --" + "a".repeat(100_000);
        PolicyRequest request = PolicyRequest.builder("db_query").arg("sql", sql).build();
        assertTimeoutPreemptively(BOUND, () -> {
            assertEquals(List.of("r"), PolicyCompiler.compile(set).decide(request).matchedRules());
            assertEquals(List.of("r"), new ReferencePolicy(set).decide(request).matchedRules());
        });
    }

    @Test
    void backreferencesAndLookaroundAreRefusedAtTheirLineAndColumn() {
        // The condition starts at column 16 (plain YAML scalar); the regex after the quote at column 27.
        assertError(only(rule("x matches '(a)\\1'")), 3, 30, "backreference");
        assertError(only(rule("x matches 'a(?=b)'")), 3, 28, "lookahead");
        assertError(only(rule("x matches 'a(?!b)'")), 3, 28, "lookahead");
        assertError(only(rule("x matches '(?<=a)b'")), 3, 27, "lookbehind");
        assertError(only(rule("x matches '(?<!a)b'")), 3, 27, "lookbehind");
        assertError(only(rule("x matches '(?<n>a)\\k<n>'")), 3, 34, "backreference");
        assertError(only(rule("x matches 'a*+b'")), 3, 28, "possessive");
        assertError(only(rule("x matches '(?>a+)b'")), 3, 27, "atomic group");
        assertError(only(rule("x matches '[a-z&&[^e]]'")), 3, 31, "intersection");
    }

    @Test
    void refusalsPointThroughYamlQuotingAndDslEscapes() {
        // Double-quoted YAML: \\ is one backslash in the value and two characters in the file.
        assertError(only(rule("\"action == 'x' and resource matches '^(\\\\w+)\\\\1$'\"")), 3, 60, "backreference \\1");
        // A DSL escape before the construct: \' is one character of the regex and two of the condition.
        assertError(only(rule("\"x matches 'it\\\\'s(?=a)'\"")), 3, 34, "lookahead");
    }

    @Test
    void regexesThatWouldExpandBeyondTheBoundAreRefused() {
        assertError(only(rule("x matches '((a{1000}){1000}){1000}'")), 3, 26, "too large");
        assertError(only(rule("x matches '" + "(".repeat(200) + "a" + ")".repeat(200) + "'")), 3, 127, "nest");
    }
}
