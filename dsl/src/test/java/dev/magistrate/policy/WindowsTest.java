package dev.magistrate.policy;

import dev.magistrate.policy.internal.Checker;
import dev.magistrate.policy.internal.ExpressionError;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.magistrate.policy.ErrorMessageTest.assertError;
import static dev.magistrate.policy.ErrorMessageTest.only;
import static dev.magistrate.policy.ErrorMessageTest.rule;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** count(), count_all(), sum() and sum_all(): checked with file:line:col, compiled as the interpreter reads them, declared for the engine. */
class WindowsTest {

    /** A call plus the window totals the engine would hand the policy, by definition. */
    record Windowed(PolicyRequest call, Map<String, Object> totals) implements PolicyInput {
        @Override public String action() { return call.action(); }
        @Override public String resource() { return call.resource(); }
        @Override public String agent() { return call.agent(); }
        @Override public String justification() { return call.justification(); }
        @Override public String urgency() { return call.urgency(); }
        @Override public Object cost() { return call.cost(); }
        @Override public Instant time() { return call.time(); }
        @Override public Object argument(String name) { return call.argument(name); }

        @Override
        public Object window(Window window) {
            if (!totals.containsKey(window.definition())) throw new AssertionError("unexpected window " + window.definition());
            return totals.get(window.definition());
        }
    }

    static PolicySet load(String yaml) {
        return PolicyLoader.parse("ops.yaml", yaml);
    }

    @Test
    void badWindowsAreRefusedWithFileLineAndColumn() {
        // condition text starts at column 17 of line 3 (inside the quotes)
        assertError(only(rule("\"count(1x) > 3\"")), 3, 24, "unknown duration unit 'x'");
        assertError(only(rule("\"count('1h') > 3\"")), 3, 23, "written without quotes");
        assertError(only(rule("\"count(500ms) > 3\"")), 3, 23, "between 1s and 366d");
        assertError(only(rule("\"count('scale_[a]', 1h) > 3\"")), 3, 30, "'[' cannot appear in an action pattern");
        assertError(only(rule("\"count('', 1h) > 3\"")), 3, 23, "empty action pattern");
        assertError(only(rule("\"count(scale, 1h) > 3\"")), 3, 23, "action pattern of count() is text in quotes");
        assertError(only(rule("\"sum(action, 1h) > 3\"")), 3, 21, "sum() adds numbers of the call, its cost or args.NAME, not 'action'");
        assertError(only(rule("\"sum('ten', 1h) > 3\"")), 3, 21, "sum() adds numbers, but this is a string");
        assertError(only(rule("\"sum(lower(args.n), 1h) > 3\"")), 3, 21, "sum() adds numbers, but this is a string");
        assertError(only(rule("\"sum(args.n + count(1h), 1h) > 3\"")), 3, 30, "windows do not nest");
        assertError(only(rule("\"sum(cost) > 3\"")), 3, 17, "sum() takes a number to add, an optional action pattern and a window");
        assertError(only(rule("\"count_all('a', 'b', 1h) > 3\"")), 3, 17, "count_all() takes an optional action pattern and a window");
        assertError(only(rule("\"cout(1h) > 3\"")), 3, 17, "did you mean 'count()'?");
        assertError(only(rule("\"count(1h)\"")), 3, 17, "a condition must be true or false");
        assertError(only(rule("\"count(1h) contains 'x' or sum(cost, 1h) startsWith 'a'\"")), 3, 43, "works on text");
    }

    @Test
    void aWindowIsKnownByItsCanonicalDefinition() throws ExpressionError {
        PolicySet set = load("""
                policies:
                  - name: hourly scale-ups
                    condition: "count('scale_*',60m) > 3 or sum( args.to-args.from ,'scale_*', 1h) > 20"
                    risk_tier: T3
                  - name: daily spend
                    condition: "sum(cost, 24h) + cost > 5000 and sum(cost, 1d) > 0 and count_all(1h) >= 0 and sum_all(abs(cost) * 2, 90m) > 0"
                    effect: deny
                    reason: daily budget spent
                """);
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        List<String> definitions = compiled.windows().stream().map(Window::definition).toList();
        assertEquals(List.of("count('scale_*', 1h)", "sum(args.to - args.from, 'scale_*', 1h)", "sum(cost, 1d)", "count_all(1h)",
                "sum_all(abs(cost) * 2, 1h30m)"), definitions);
        assertEquals(definitions, new ReferencePolicy(set).windows().stream().map(Window::definition).toList());
        assertEquals(List.of(), PolicyCompiler.compile(load("policies:\n  - name: a\n    condition: \"cost > 5\"\n    risk_tier: T1\n")).windows());
        Window w = compiled.windows().get(1);
        assertEquals(Window.Scope.AGENT, w.scope());
        assertEquals(60_000, w.bucketMillis());
        assertEquals(Window.Scope.ALL, compiled.windows().get(3).scope());
        assertTrue(w.equals(((dev.magistrate.policy.internal.Expr.Binary) Checker.parseAndCheck("sum(args.to - args.from, 'scale_*', 3600s) > 1"))
                .left() instanceof dev.magistrate.policy.internal.Expr.Window x ? x.window() : null));
    }

    @Test
    void fleetWindowsAreCheckedLikeTheOthersAndThePolicySaysItReadsThem() {
        assertError(only(rule("\"count_fleet('1h') > 3\"")), 3, 29, "the window of count_fleet() is a duration like 1h, 30m or 7d, written without quotes");
        assertError(only(rule("\"sum_fleet(cost) > 3\"")), 3, 17, "sum_fleet() takes a number to add, an optional action pattern and a window");
        assertError(only(rule("\"sum_fleet(action, 1h) > 3\"")), 3, 27, "sum_fleet() adds numbers of the call, its cost or args.NAME, not 'action'");
        assertError(only(rule("\"count_flet(1h) > 3\"")), 3, 17, "did you mean 'count_fleet()'?");
        PolicySet set = load("""
                default: T0
                policies:
                  - name: local
                    condition: "count('scale_*', 1h) > 3"
                    risk_tier: T2
                  - name: fleet budget
                    condition: "sum_fleet(args.instances, 'scale_*', 60m) + args.instances > 100 or count_fleet(1d) > 9000"
                    effect: deny
                    reason: the fleet's hourly scale-up budget is spent
                """);
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        assertEquals(List.of("count('scale_*', 1h)", "sum_fleet(args.instances, 'scale_*', 1h)", "count_fleet(1d)"),
                compiled.windows().stream().map(Window::definition).toList());
        assertEquals(Window.Scope.FLEET, compiled.windows().get(1).scope());
        assertTrue(compiled.readsFleetWindows());
        assertTrue(new ReferencePolicy(set).readsFleetWindows());
        assertFalse(PolicyCompiler.compile(load("policies:\n  - name: a\n    condition: \"count_all(1h) > 5\"\n    risk_tier: T1\n")).readsFleetWindows());
        PolicyRequest call = PolicyRequest.builder("scale_web").arg("instances", 10).build();
        Map<String, Object> totals = Map.of("count('scale_*', 1h)", 0L, "sum_fleet(args.instances, 'scale_*', 1h)", 91L, "count_fleet(1d)", 0L);
        for (CompiledPolicy p : List.of(compiled, new ReferencePolicy(set))) {
            assertEquals(Effect.DENY, p.decide(new Windowed(call, totals)).effect(), "91 + 10 > 100");
            Map<String, Object> less = new HashMap<>(totals);
            less.put("sum_fleet(args.instances, 'scale_*', 1h)", 90L);
            assertEquals(Effect.ALLOW, p.decide(new Windowed(call, less)).effect(), "90 + 10 is the budget, not over it");
        }
        PolicyException refused = org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class,
                () -> Window.refuseScope(set, Window.Scope.FLEET, "no fleet here"));
        assertEquals(1, refused.errors().size());
        assertEquals("ops.yaml:6:5: rule 'fleet budget' reads sum_fleet(args.instances, 'scale_*', 1h): no fleet here",
                refused.errors().get(0).format());
        Window.refuseScope(set, Window.Scope.ALL, "refuses nothing here");
    }

    @Test
    void whatACallAddsComesFromTheCallAlone() {
        List<Window> w = PolicyCompiler.compile(load("""
                policies:
                  - name: a
                    condition: "count('scale_*', 1h) > 3 or sum(args.to - args.from, 'scale_*', 1h) > 20 or sum(cost, 1h) > 9"
                    risk_tier: T3
                """)).windows();
        PolicyRequest scale = PolicyRequest.builder("scale_web").arg("from", 3).arg("to", 10).cost(new BigDecimal("0.0000015")).build();
        PolicyRequest read = PolicyRequest.builder("read_logs").arg("from", 1).arg("to", 2).cost("12.5").build();
        assertEquals(1_000_000, w.get(0).contribution(scale));
        assertEquals(7_000_000, w.get(1).contribution(scale));
        assertEquals(2, w.get(2).contribution(scale), "a millionth and a half rounds up: budgets err towards spent");
        assertEquals(0, w.get(0).contribution(read), "the glob decides which actions count");
        assertEquals(0, w.get(1).contribution(read));
        assertEquals(12_500_000, w.get(2).contribution(read), "a numeric text cost adds like a number");
        assertEquals(0, w.get(1).contribution(PolicyRequest.builder("scale_db").arg("to", "many").build()), "no number, nothing added");
        assertEquals(7L, Window.value(7_000_000));
        assertEquals(new BigDecimal("12.5"), Window.value(12_500_000));
    }

    @Test
    void anInputWithoutWindowStateFailsClosed() {
        PolicySet set = load("policies:\n  - name: budget\n    condition: \"sum(cost, 1h) + cost > 100\"\n    effect: deny\n    reason: spent\n"
                + "  - name: small\n    condition: \"cost < 5\"\n    risk_tier: T0\n");
        PolicyRequest call = PolicyRequest.builder("x").cost(1).build();
        for (CompiledPolicy p : List.of(PolicyCompiler.compile(set), new ReferencePolicy(set))) {
            Decision d = p.decide(call);
            assertEquals(Effect.DENY, d.effect(), p.getClass().getSimpleName());
            assertTrue(d.denyReasons().containsKey("(fail-closed)"), d.toString());
            assertEquals(Effect.ALLOW, p.decide(new Windowed(call, Map.of("sum(cost, 1h)", 50L))).effect());
            assertEquals(Effect.DENY, p.decide(new Windowed(call, Map.of("sum(cost, 1h)", 100L))).effect());
        }
    }

    @Test
    void aPolicyWithoutWindowsCompilesToTheSameCodeAsBeforeAndAWindowIsReadOncePerMethod() {
        String plain = PolicyCompiler.source(load("policies:\n  - name: a\n    condition: \"cost > 5 and args.n < 3\"\n    risk_tier: T1\n"));
        assertFalse(plain.contains("window"), plain);
        String windowed = PolicyCompiler.source(load("policies:\n  - name: a\n    condition: \"sum(cost, 1h) > 5 and sum(cost, 60m) + cost < 30\"\n"
                + "    risk_tier: T1\n"));
        java.util.Set<String> reads = new java.util.HashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\((v\\d+) = in\\.window\\(").matcher(windowed);
        while (m.find()) reads.add(m.group(1));
        assertEquals(1, reads.size(), "one lazily fetched local for the one window:\n" + windowed);
        assertFalse(windowed.contains("sum(cost"), "the definition is a constant, not source text:\n" + windowed);
    }

    @Test
    void compiledAndReferenceAgreeOnRandomWindowedConditions() {
        Random rnd = new Random(20261130L);
        String[] windows = {"count(1h)", "count('scale_*', 1h)", "count_all(10m)", "sum(cost, 24h)", "sum(args.to - args.from, 'scale_*', 1h)",
                "sum_all(args.n, 1h)"};
        String[] ops = {">", ">=", "<", "==", "!="};
        Object[] totals = {0L, 3L, 20L, new BigDecimal("4999.5"), 5000L};
        int compared = 0;
        for (int set = 0; set < 20; set++) {
            StringBuilder yaml = new StringBuilder("policies:\n");
            for (int r = 0; r < 12; r++) {
                String c = windows[rnd.nextInt(windows.length)] + (rnd.nextBoolean() ? " + cost " : " ") + ops[rnd.nextInt(ops.length)] + " "
                        + rnd.nextInt(30) + (rnd.nextBoolean() ? " and action == 'scale_web'" : " or " + windows[rnd.nextInt(windows.length)] + " > 2");
                yaml.append("  - name: r").append(r).append("\n    condition: ").append(Conditions.yamlQuote(c)).append('\n')
                        .append(rnd.nextInt(5) == 0 ? "    effect: deny\n    reason: budget\n" : "    risk_tier: T" + rnd.nextInt(4) + "\n");
            }
            PolicySet policySet = load(yaml.toString());
            CompiledPolicy compiled = PolicyCompiler.compile(policySet);
            ReferencePolicy reference = new ReferencePolicy(policySet);
            for (int call = 0; call < 100; call++) {
                Map<String, Object> values = new HashMap<>();
                for (Window w : compiled.windows()) values.put(w.definition(), totals[rnd.nextInt(totals.length)]);
                Windowed in = new Windowed(PolicyRequest.builder(rnd.nextBoolean() ? "scale_web" : "read").cost(rnd.nextInt(10))
                        .arg("from", 1).arg("to", 5).arg("n", 2).time(Instant.EPOCH.plus(Duration.ofDays(20_000))).build(), values);
                assertEquals(reference.decide(in), compiled.decide(in), "set " + set + ", call " + call + "\n" + yaml);
                compared++;
            }
        }
        assertEquals(2000, compared);
    }
}
