package dev.magistrate.policy;

import com.fasterxml.jackson.core.JsonToken;
import dev.magistrate.policy.YamlTree.Entry;
import dev.magistrate.policy.YamlTree.ListNode;
import dev.magistrate.policy.YamlTree.MapNode;
import dev.magistrate.policy.YamlTree.Node;
import dev.magistrate.policy.YamlTree.Scalar;
import dev.magistrate.policy.internal.Suggest;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs the test cases a policy author keeps beside a policy, like {@code opa test}: each case is a
 * call and the decision it must get.
 *
 * <pre>
 * policy: ops-policy.yaml          # a file or directory, relative to this file
 * cases:
 *   - name: reads need nobody
 *     call: {action: health_check, args: {service: web}}
 *     expect: {effect: allow, tier: T0}
 * </pre>
 *
 * {@code call} takes action, resource, agent, justification, urgency, cost, time (ISO-8601) and
 * args, and the state the engine would keep: {@code signals} (name: number), {@code denials_in_a_row}
 * and {@code windows} (a window as the policy writes it: its total before the call, e.g.
 * {@code "count('scale_*', 1h)": 3}); {@code expect} takes effect, tier, rules (the exact matched rule names), approvals, roles
 * and mfa. Only what {@code expect} names is checked.
 */
public final class PolicyTestRunner {

    private static final Set<String> FILE_KEYS = Set.of("policy", "cases");
    private static final Set<String> CASE_KEYS = Set.of("name", "call", "expect");
    private static final Set<String> CALL_KEYS = Set.of("action", "resource", "agent", "justification", "urgency", "cost", "time", "args",
            "signals", "denials_in_a_row", "windows");
    private static final Set<String> EXPECT_KEYS = Set.of("effect", "tier", "rules", "approvals", "roles", "mfa");

    /** One case, with the request it describes and what it expects. */
    public record TestCase(String name, PolicyRequest request, Map<String, Object> expect, SourceLocation at) {
    }

    /** A case's outcome: the decision, and the mismatches (empty when it passed). */
    public record Result(TestCase testCase, Decision decision, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    private PolicyTestRunner() {
    }

    /** Runs a test file and prints one block per case and a closing {@code N passed, M failed} line; returns the exit status. */
    public static int run(Path testFile, PrintStream out, PrintStream err) {
        List<Result> results;
        try {
            results = run(testFile);
        } catch (PolicyException e) {
            err.println(e.getMessage());
            return 2;
        }
        int passed = 0;
        for (Result r : results) {
            out.println((r.passed() ? "PASS  " : "FAIL  ") + r.testCase().name());
            out.println("      " + r.decision().explain());
            for (String m : r.mismatches()) out.println("      " + m);
            if (r.passed()) passed++;
        }
        out.println(passed + " passed, " + (results.size() - passed) + " failed");
        return passed == results.size() ? 0 : 1;
    }

    public static List<Result> run(Path testFile) {
        Reader reader = new Reader(testFile);
        List<TestCase> cases = reader.read();
        CompiledPolicy policy = PolicyCompiler.compile(PolicyLoader.load(reader.policyPath));
        List<Result> results = new ArrayList<>();
        List<PolicyError> unread = new ArrayList<>();
        for (TestCase c : cases) {
            for (String w : c.request().windowsNotRead(policy)) {
                unread.add(new PolicyError(c.at(), "case '" + c.name() + "' gives a total for the window " + w
                        + ", which the policy does not read (it reads: " + (policy.windows().isEmpty() ? "none" : policy.windows()) + ")", null));
            }
        }
        if (!unread.isEmpty()) throw new PolicyException(unread);
        for (TestCase c : cases) {
            Decision d = policy.decide(c.request());
            List<String> mismatches = mismatches(c.expect(), d);
            if (!mismatches.isEmpty() && d.denyReasons().containsKey(Decision.FAIL_CLOSED)) {
                for (Window w : c.request().windowsNotGiven(policy)) {
                    mismatches.add("no total was given for the window " + w.definition() + "; if the decision read it, that is why it failed"
                            + " closed: give it under call.windows");
                }
            }
            results.add(new Result(c, d, mismatches));
        }
        return results;
    }

    private static List<String> mismatches(Map<String, Object> expect, Decision d) {
        List<String> out = new ArrayList<>();
        Map<String, Object> actual = Map.of("effect", d.effect().wireName(), "tier", d.tier().name(),
                "rules", d.matchedRules(), "approvals", (long) d.requiredApprovals(), "roles", d.requiredRoles(),
                "mfa", d.mfaRequired());
        for (Map.Entry<String, Object> e : expect.entrySet()) {
            Object got = actual.get(e.getKey());
            if (!e.getValue().equals(got)) out.add("expected " + e.getKey() + " " + e.getValue() + ", got " + got);
        }
        return out;
    }

    /** Reads a test file with the same located errors as policy files. */
    private static final class Reader {
        final Path file;
        final List<PolicyError> errors = new ArrayList<>();
        String[] lines = new String[0];
        Path policyPath;

        Reader(Path file) {
            this.file = file;
        }

        List<TestCase> read() {
            String text;
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new PolicyException(List.of(new PolicyError(new SourceLocation(file.toString(), 1, 1),
                        "cannot read test file: " + e, null)));
            }
            lines = text.split("\r?\n", -1);
            Node root;
            try {
                root = YamlTree.read(file.toString(), text);
            } catch (YamlTree.YamlProblem p) {
                error(p.at, p.getMessage());
                throw new PolicyException(errors);
            }
            List<TestCase> cases = new ArrayList<>();
            if (!(root instanceof MapNode top)) {
                error(root.at(), "a policy test file is a mapping with 'policy' and 'cases'");
                throw new PolicyException(errors);
            }
            keys(top, FILE_KEYS, "key");
            Entry policy = top.entries().get("policy");
            if (policy == null || !(policy.value() instanceof Scalar s) || s.token() != JsonToken.VALUE_STRING) {
                error(policy == null ? top.at() : policy.value().at(), "'policy' names the policy file or directory to test, relative to this file");
            } else {
                Path base = file.toAbsolutePath().getParent();
                policyPath = base.resolve(s.text()).normalize();
                if (!Files.exists(policyPath)) error(policy.value().at(), "no policy at " + policyPath);
            }
            Entry list = top.entries().get("cases");
            if (list == null || !(list.value() instanceof ListNode items)) {
                error(list == null ? top.at() : list.value().at(), "'cases' is a list of test cases");
            } else {
                for (Node item : items.items()) {
                    TestCase c = testCase(item);
                    if (c != null) cases.add(c);
                }
            }
            if (!errors.isEmpty()) throw new PolicyException(errors);
            return cases;
        }

        TestCase testCase(Node node) {
            if (!(node instanceof MapNode m)) {
                error(node.at(), "a test case is a mapping with name, call and expect");
                return null;
            }
            keys(m, CASE_KEYS, "test case key");
            Entry name = m.entries().get("name");
            Entry call = m.entries().get("call");
            Entry expect = m.entries().get("expect");
            if (name == null || call == null || expect == null) {
                error(m.at(), "a test case needs name, call and expect");
                return null;
            }
            if (!(call.value() instanceof MapNode callMap) || !(expect.value() instanceof MapNode expectMap)) {
                error(m.at(), "call and expect are mappings");
                return null;
            }
            keys(callMap, CALL_KEYS, "call key");
            keys(expectMap, EXPECT_KEYS, "expect key");
            Map<String, Entry> c = callMap.entries();
            String action = text(c.get("action"));
            if (action == null) error(callMap.at(), "a call needs an action");
            PolicyRequest.Builder b = PolicyRequest.builder(action)
                    .resource(text(c.get("resource"))).agent(text(c.get("agent")))
                    .justification(text(c.get("justification"))).urgency(text(c.get("urgency")));
            if (c.containsKey("cost")) b.cost(value(c.get("cost").value()));
            if (c.containsKey("time")) {
                String t = text(c.get("time"));
                try {
                    if (t != null) b.time(Instant.parse(t));
                } catch (DateTimeException e) {
                    error(c.get("time").value().at(), "time is an ISO-8601 instant like 2026-11-24T03:00:00Z");
                }
            }
            if (c.containsKey("signals")) {
                for (Map.Entry<Entry, Number> e : numbers(c.get("signals"), "signals is a mapping of signal names to numbers").entrySet()) {
                    try {
                        b.signal(e.getKey().key(), e.getValue());
                    } catch (IllegalArgumentException bad) {
                        error(e.getKey().keyAt(), bad.getMessage());
                    }
                }
            }
            if (c.containsKey("denials_in_a_row")) {
                if (value(c.get("denials_in_a_row").value()) instanceof Long n && n >= 0) b.denialsInARow(n);
                else error(c.get("denials_in_a_row").value().at(), "denials_in_a_row is a whole number, 0 or more");
            }
            if (c.containsKey("windows")) {
                String shape = "windows is a mapping of windows as the policy writes them (count('scale_*', 1h)) to their totals";
                for (Map.Entry<Entry, Number> e : numbers(c.get("windows"), shape).entrySet()) {
                    try {
                        b.window(e.getKey().key(), e.getValue());
                    } catch (IllegalArgumentException bad) {
                        error(e.getKey().keyAt(), bad.getMessage());
                    }
                }
            }
            if (c.containsKey("args")) {
                if (c.get("args").value() instanceof MapNode args) {
                    for (Entry a : args.entries().values()) b.arg(a.key(), value(a.value()));
                } else {
                    error(c.get("args").value().at(), "args is a mapping of argument names to values");
                }
            }
            Map<String, Object> expected = new LinkedHashMap<>();
            for (Entry e : expectMap.entries().values()) {
                Object v = value(e.value());
                switch (e.key()) {
                    case "effect" -> {
                        String s = String.valueOf(v).toLowerCase(Locale.ROOT);
                        if (!Set.of("allow", "approve", "deny").contains(s)) error(e.value().at(), "effect is allow, approve or deny");
                        expected.put("effect", s);
                    }
                    case "tier" -> {
                        if (!(v instanceof String s && s.matches("T[0-3]"))) error(e.value().at(), "tier is T0, T1, T2 or T3");
                        expected.put("tier", v);
                    }
                    case "approvals" -> {
                        if (!(v instanceof Long)) error(e.value().at(), "approvals is a whole number");
                        expected.put("approvals", v);
                    }
                    case "mfa" -> {
                        if (!(v instanceof Boolean)) error(e.value().at(), "mfa is true or false");
                        expected.put("mfa", v);
                    }
                    default -> {
                        if (!(v instanceof List<?>)) error(e.value().at(), e.key() + " is a list of names");
                        expected.put(e.key(), v);
                    }
                }
            }
            String caseName = text(name);
            return new TestCase(caseName != null ? caseName : "(unnamed)", b.build(), expected, m.at());
        }

        /** A mapping of names to numbers, each bad value reported where it is. */
        Map<Entry, Number> numbers(Entry e, String shape) {
            Map<Entry, Number> out = new LinkedHashMap<>();
            if (!(e.value() instanceof MapNode m)) {
                error(e.value().at(), shape);
                return out;
            }
            for (Entry item : m.entries().values()) {
                if (value(item.value()) instanceof Number n) out.put(item, n);
                else error(item.value().at(), item.key() + " is a number");
            }
            return out;
        }

        Object value(Node n) {
            if (n instanceof ListNode l) {
                List<Object> out = new ArrayList<>();
                for (Node i : l.items()) out.add(value(i));
                return out;
            }
            if (n instanceof MapNode m) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Entry e : m.entries().values()) out.put(e.key(), value(e.value()));
                return out;
            }
            Scalar s = (Scalar) n;
            return switch (s.token()) {
                case VALUE_NUMBER_INT -> {
                    try {
                        yield Long.parseLong(s.text());
                    } catch (NumberFormatException e) {
                        yield new BigDecimal(s.text());
                    }
                }
                case VALUE_NUMBER_FLOAT -> new BigDecimal(s.text());
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                default -> s.text();
            };
        }

        String text(Entry e) {
            if (e == null) return null;
            if (e.value() instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) return s.text();
            error(e.value().at(), e.key() + " is text");
            return null;
        }

        void keys(MapNode m, Set<String> known, String what) {
            for (Entry e : m.entries().values()) {
                if (!known.contains(e.key())) {
                    String hint = Suggest.closest(e.key(), known);
                    error(e.keyAt(), "unknown " + what + " '" + e.key() + "'" + (hint != null ? ": did you mean '" + hint + "'?" : ""));
                }
            }
        }

        void error(SourceLocation at, String message) {
            String line = at.line() >= 1 && at.line() <= lines.length ? lines[at.line() - 1] : null;
            errors.add(new PolicyError(at, message, line));
        }
    }
}
