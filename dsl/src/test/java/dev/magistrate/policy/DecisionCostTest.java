package dev.magistrate.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A decision costs time linear in the size of the call's arguments, whatever the arguments are:
 * huge texts, huge lists and numbers with absurd exponents decide at once, compiled and reference.
 */
class DecisionCostTest {

    static final Duration BOUND = Duration.ofSeconds(2);

    static Decision decideBoth(String condition, PolicyRequest request) {
        PolicySet set = Conditions.single(condition);
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        Decision fast = assertTimeoutPreemptively(BOUND, () -> compiled.decide(request), () -> "compiled: " + condition);
        Decision slow = assertTimeoutPreemptively(BOUND, () -> reference.decide(request), () -> "reference: " + condition);
        assertEquals(slow, fast, condition);
        return fast;
    }

    @Test
    void textContainingTextIsLinearEvenWhenBothSidesAreArguments() {
        // String.contains compares naively: this pair took 88 s.
        String text = "a".repeat(1_000_000);
        String needle = "a".repeat(500_000) + "b";
        PolicyRequest miss = PolicyRequest.builder("write").arg("content", text).arg("secret", needle).build();
        assertEquals(List.of(), decideBoth("content contains secret", miss).matchedRules());
        PolicyRequest hit = PolicyRequest.builder("write").arg("content", text + "b").arg("secret", needle).build();
        assertEquals(List.of("r"), decideBoth("content contains secret", hit).matchedRules());
        PolicyRequest periodic = PolicyRequest.builder("write").arg("content", "ab".repeat(500_000) + "abc")
                .arg("secret", "ab".repeat(1_000) + "c").build();
        assertEquals(List.of("r"), decideBoth("content contains secret", periodic).matchedRules());
    }

    @ParameterizedTest
    @ValueSource(strings = {"+", "-", "*", "/"})
    void arithmeticOnNumbersWithAbsurdExponentsDecidesAtOnce(String op) {
        for (String[] pair : new String[][]{{"1e99999999", "1"}, {"1", "1e-99999999"}, {"1e99999999", "1e-99999999"},
                {"-1e99999999", "3"}, {"0e99999999", "7"}}) {
            PolicyRequest r = PolicyRequest.builder("pay").arg("a", new BigDecimal(pair[0])).arg("b", new BigDecimal(pair[1])).build();
            decideBoth("args.a " + op + " args.b > 0 or args.a " + op + " args.b <= 0", r);
        }
        // Ordinary decimals stay exact.
        PolicyRequest r = PolicyRequest.builder("pay").arg("a", new BigDecimal("0.1")).arg("b", new BigDecimal("0.2")).build();
        assertEquals(List.of("r"), decideBoth("args.a + args.b == 0.3", r).matchedRules());
    }

    @Test
    void exactSumsThatWouldNeedAHundredMillionDigitsFailClosed() {
        PolicyRequest r = PolicyRequest.builder("pay").arg("a", new BigDecimal("1e99999999")).arg("b", 1).build();
        Decision d = decideBoth("args.a + args.b > 5", r);
        assertEquals(Effect.DENY, d.effect());
        assertTrue(d.explain().contains("ArithmeticException"), d.explain());
        // Comparing such a number needs no arithmetic, and is exact.
        assertEquals(List.of("r"), decideBoth("args.a > 1000000", r).matchedRules());
    }

    @Test
    void hugeListsAndTextsCostOneScan() {
        List<Object> list = new ArrayList<>(Collections.nCopies(1_000_000, "x"));
        list.add("needle");
        String text = "é".repeat(5_000_000);
        PolicyRequest r = PolicyRequest.builder("bulk").arg("items", list).arg("body", text).arg("item", "needle").build();
        assertEquals(List.of("r"), decideBoth("item in items and items contains 'needle' and len(items) > 1000000"
                + " and len(lower(body)) == 5000000 and upper(body) startsWith 'É' and body matches '(é+)+$'", r).matchedRules());
    }
}
