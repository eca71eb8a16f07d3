package dev.magistrate.policy;

import dev.magistrate.policy.internal.Checker;
import dev.magistrate.policy.internal.ExpressionError;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random conditions and random calls: the compiled policy (action index, lazy slots, chunked methods,
 * narrow and wide bit sets, cached decisions) must decide exactly as the reference interpreter does.
 * Seeded, so a failure reproduces; the seed is in the message.
 */
class DifferentialTest {

    enum Colour { RED, GREEN }

    public record Box(Object x, Object y, Object z) {
    }

    static final String[] ATTRS = {"action", "resource", "agent", "urgency", "cost", "time.hour", "time.weekday",
            "args.n", "args.s", "args.d", "args.b", "args.list", "args.obj.x", "args.obj.y", "args.obj.z.x",
            "n", "s", "missing", "args.dur", "args.e"};
    static final String[] LITERALS = {"0", "1", "5", "-2", "1000", "5000", "1.5", "-0.25", "5.00", "'prod'", "'dev'",
            "'5'", "'5.0'", "''", "'a\\'b'", "\"deploy\"", "'RED'", "true", "false", "null", "30m", "1h", "45s"};
    static final String[] COMPARE = {"==", "!=", "<", "<=", ">", ">="};
    static final String[] TEXT_OPS = {"contains", "startsWith", "endsWith"};
    static final String[] ARITH = {"+", "-", "*", "/"};
    static final String[] FUNCS = {"lower", "upper", "len", "abs"};
    static final String[] REGEXES = {"'^p'", "'od$'", "'(?i)DEV'", "'[0-9]+'", "''", "'a|b'"};
    static final String[] ACTIONS = {"deploy", "scale", "read", "refund"};

    final Random rnd = new Random(20261124L);

    String value(int depth) {
        int k = depth <= 0 ? rnd.nextInt(2) : rnd.nextInt(6);
        return switch (k) {
            case 0 -> pick(ATTRS);
            case 1 -> pick(LITERALS);
            case 2 -> "(" + value(depth - 1) + " " + pick(ARITH) + " " + value(depth - 1) + ")";
            case 3 -> pick(FUNCS) + "(" + value(depth - 1) + ")";
            case 4 -> "[" + value(0) + ", " + value(0) + "]";
            default -> "-" + pick(ATTRS);
        };
    }

    String condition(int depth) {
        int k = depth <= 0 ? rnd.nextInt(6) : rnd.nextInt(11);
        return switch (k) {
            case 0, 1 -> value(1) + " " + pick(COMPARE) + " " + value(1);
            case 2 -> value(0) + (rnd.nextBoolean() ? " in " : " not in ") + "[" + value(0) + ", " + value(0) + ", " + value(0) + "]";
            case 3 -> value(0) + " " + pick(TEXT_OPS) + " " + value(0);
            case 4 -> value(0) + " matches " + pick(REGEXES);
            case 5 -> rnd.nextBoolean() ? pick(ATTRS) : pick(ATTRS) + " == null";
            case 6 -> "not (" + condition(depth - 1) + ")";
            case 7, 8 -> "(" + condition(depth - 1) + " and " + condition(depth - 1) + ")";
            case 9 -> "(" + condition(depth - 1) + " or " + condition(depth - 1) + ")";
            default -> "!" + "(" + condition(depth - 1) + ")";
        };
    }

    Object randomValue() {
        return switch (rnd.nextInt(20)) {
            case 0 -> 5;
            case 1 -> 5L;
            case 2 -> 5.0d;
            case 3 -> new BigDecimal("5.00");
            case 4 -> "5";
            case 5 -> "prod";
            case 6 -> "";
            case 7 -> true;
            case 8 -> null;
            case 9 -> List.of("prod", 5, "a'b");
            case 10 -> Map.of("x", 1000, "y", "dev");
            case 11 -> new Box(rnd.nextInt(3), "RED", new Box("deploy", null, null));
            case 12 -> Duration.ofMinutes(rnd.nextInt(90));
            case 13 -> Colour.values()[rnd.nextInt(2)];
            case 14 -> new int[]{1, 5};
            case 15 -> 1000;
            case 16 -> -0.25f;
            case 17 -> "Production";
            case 18 -> Long.MAX_VALUE;
            default -> rnd.nextInt(10_000) - 100;
        };
    }

    PolicyRequest randomCall() {
        PolicyRequest.Builder b = PolicyRequest.builder(rnd.nextInt(5) == 0 ? null : ACTIONS[rnd.nextInt(ACTIONS.length)])
                .resource(rnd.nextBoolean() ? "prod/web" : rnd.nextBoolean() ? null : "dev")
                .agent(rnd.nextBoolean() ? "agent-1" : null)
                .urgency(rnd.nextBoolean() ? "high" : "5")
                .cost(rnd.nextBoolean() ? rnd.nextInt(10_000) : rnd.nextBoolean() ? new BigDecimal("5000.5") : null)
                .time(Instant.ofEpochSecond(1_790_000_000L + rnd.nextInt(7 * 86_400)));
        for (String name : new String[]{"n", "s", "d", "b", "list", "obj", "dur", "e"}) {
            if (rnd.nextInt(6) != 0) b.arg(name, randomValue());
        }
        return b.build();
    }

    <T> T pick(T[] a) {
        return a[rnd.nextInt(a.length)];
    }

    @Test
    void compiledAndReferenceAgreeOnThousandsOfRandomConditionsAndCalls() {
        int checked = 0, rejected = 0, comparisons = 0, matches = 0;
        for (int set = 0; set < 40; set++) {
            int size = set % 4 == 3 ? 90 : 45; // every fourth set is wider than 64 rules
            StringBuilder yaml = new StringBuilder("policies:\n");
            int rules = 0;
            while (rules < size) {
                String c = condition(3);
                if (rnd.nextInt(3) == 0) {
                    c = (rnd.nextBoolean() ? "action == '" + pick(ACTIONS) + "'"
                            : "action in ['" + pick(ACTIONS) + "', '" + pick(ACTIONS) + "']") + " and " + c;
                }
                try {
                    Checker.parseAndCheck(c);
                } catch (ExpressionError e) {
                    rejected++;
                    continue;
                }
                checked++;
                yaml.append("  - name: r").append(rules).append('\n')
                        .append("    condition: ").append(Conditions.yamlQuote(c)).append('\n');
                if (rnd.nextInt(10) == 0) {
                    yaml.append("    effect: deny\n    reason: never\n");
                } else {
                    yaml.append("    risk_tier: T").append(rnd.nextInt(4)).append('\n');
                }
                rules++;
            }
            PolicySet policySet = PolicyLoader.parse("random-" + set + ".yaml", yaml.toString());
            CompiledPolicy compiled = PolicyCompiler.compile(policySet);
            ReferencePolicy reference = new ReferencePolicy(policySet);
            for (int call = 0; call < 150; call++) {
                PolicyRequest r = randomCall();
                Decision expected = reference.decide(r);
                Decision actual = compiled.decide(r);
                assertEquals(expected, actual, "set " + set + ", call " + call + ": " + r + "\n" + yaml);
                comparisons++;
                matches += expected.matchedRules().size();
            }
        }
        assertTrue(checked >= 2000, "random conditions that passed the checker: " + checked);
        assertTrue(comparisons >= 6000, "decisions compared: " + comparisons);
        // Not a degenerate workload: rules both match and miss.
        double rate = matches / (double) (comparisons * 45.0);
        assertTrue(rate > 0.05 && rate < 0.9, "match rate " + rate + " (rejected " + rejected + ")");
    }
}
