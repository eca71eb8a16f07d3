package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static dev.magistrate.policy.ErrorMessageTest.assertError;
import static dev.magistrate.policy.ErrorMessageTest.only;
import static dev.magistrate.policy.ErrorMessageTest.rule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Regressions found by {@link PolicyFuzzTest}: absurdly deep or large conditions overflowed the
 * parser's and checker's stacks (a StackOverflowError out of PolicyLoader) instead of a located
 * error. Conditions up to the bounds load, compile and decide, on a thread with an ordinary stack.
 */
class ConditionBoundsTest {

    /** The condition starts at column 16 of line 3 (a plain YAML scalar). */
    static final int COL = 16;

    @Test
    void deepNestingIsALocatedErrorNotAStackOverflow() {
        int n = 5_000;
        // The 101st level is refused, where it opens.
        assertError(only(rule("(".repeat(n) + "x == 1" + ")".repeat(n))), 3, COL + 100, "nests too deeply");
        assertError(only(rule("not ".repeat(n) + "x == 1")), 3, COL + 400, "nests too deeply");
        assertError(only(rule("x > " + "-".repeat(n) + "1")), 3, COL + 4 + 100, "nests too deeply");
        assertError(only(rule("x in " + "[".repeat(n) + "]".repeat(n))), 3, COL + 5 + 100, "nests too deeply");
        assertError(only(rule("lower(".repeat(n) + "x" + ")".repeat(n) + " == 'x'")), 3, COL + 6 * 100 + 5, "nests too deeply");
    }

    @Test
    void longArithmeticChainsAreALocatedError() {
        assertError(only(rule("x > 1" + " + 1".repeat(5_000))), 3, COL + 4, "nests too deeply");
    }

    @Test
    void conditionsTooLargeForOneMethodAreALocatedError() {
        assertError(only(rule("x in [" + "y, ".repeat(2_000) + "z]")), 3, COL, "condition too large");
    }

    @Test
    void conditionsAtTheBoundsLoadCompileAndDecide() {
        decidesBoth("(".repeat(99) + "action == 'deploy'" + ")".repeat(99), true);
        decidesBoth("not ".repeat(100) + "action == 'deploy'", true);
        decidesBoth("cost > " + "-".repeat(99) + "1", true);
        decidesBoth("cost > 1" + " + 1".repeat(190), true);
        decidesBoth("cost > 1" + " + 1".repeat(190) + " * 500", false);
        // A long list of alternatives is balanced, not 240 levels deep.
        StringBuilder alternatives = new StringBuilder("action == 'a0'");
        for (int i = 1; i < 240; i++) alternatives.append(" or action == 'a").append(i).append('\'');
        decidesBoth(alternatives + " or action == 'deploy'", true);
        decidesBoth("x in [" + "y, ".repeat(990) + "'production']" + " or environment in [" + "'e', ".repeat(20_000) + "'production']", true);
    }

    static void decidesBoth(String condition, boolean holds) {
        PolicyRequest r = PolicyRequest.builder("deploy").cost(500).arg("environment", "production").build();
        Supplier<String> what = () -> condition.length() > 80 ? condition.substring(0, 80) + "..." : condition;
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            PolicySet set = Conditions.single(condition);
            Decision compiled = PolicyCompiler.compile(set).decide(r);
            Decision reference = new ReferencePolicy(set).decide(r);
            assertEquals(reference, compiled, what);
            assertEquals(holds ? List.of("r") : List.of(), compiled.matchedRules(), what);
        }, what);
    }
}
