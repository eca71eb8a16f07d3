package dev.magistrate.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Policy files are untrusted input. Generates and mutates 100,000 policies (seeded, so a failure
 * reproduces from its index) and asserts that each either loads and compiles, or fails with a
 * {@link PolicyException} whose every error is located inside the text: never another exception,
 * never a hang, never code execution (payloads that would set a system property or write a file if
 * they reached the generated Java source must leave no trace).
 *
 * <p>{@code -Dmagistrate.fuzz.long=true} runs 1,000,000 inputs.
 */
class PolicyFuzzTest {

    static final long SEED = 20261124L;
    static final boolean LONG = Boolean.getBoolean("magistrate.fuzz.long");
    static final int INPUTS = LONG ? 1_000_000 : 100_000;
    /** Per input: loading, and compiling when it loads. Generous for a shared 2-core machine. */
    static final long PER_INPUT_NANOS = Duration.ofSeconds(3).toNanos();
    /** Janino costs milliseconds per class: compile one loaded policy in this many, plus every deep one. */
    static final int COMPILE_EVERY = 40;

    static final String CANARY = "magistrate.canary";

    @TempDir
    static Path dir;

    final Random rnd = new Random(SEED);
    String canaryFile;
    List<String> payloads;

    static final String[] SEEDS = {
            """
            version: "2026-11-24"
            timezone: Europe/Vienna
            default: T1
            policies:
              - name: "Production Deployments"
                condition: "action == 'deploy' AND environment == 'production'"
                risk_tier: "T2"
                required_approvals: 2
                required_roles: ["senior_dev", "devops"]
                timeout: "30m"
              - name: "High-Cost Infrastructure"
                condition: "cost_impact > 5000"
                risk_tier: "T3"
                required_approvals: ["engineering_director", "cfo"]
                requires_mfa: true
              - name: "No drops"
                condition: "action == 'db_query' and lower(sql) contains 'drop table'"
                effect: deny
                reason: "Dropping tables is never done by an agent"
            """,
            """
            policies:
              - name: a
                condition: 'sql matches ''(?i)\\bdrop\\s+table\\b'' or args.order.amount > 1.5 * 2'
                risk_tier: T1
                warrant_ttl: 1h30m
              - name: b
                condition: |
                  action in ['scale', 'deploy']
                    and not (time.hour >= 9 and time.hour < 17) and time.weekday != 'sunday'
                risk_tier: T2
            default: {effect: deny, reason: "not on the allow list"}
            """,
            """
            policies:
              - {name: x, condition: "len(tags) == 3 and 'prod' in tags and -cost < abs(-5) and wait > 30m", risk_tier: T0}
              - {name: y, condition: "resource startsWith 'prod/' || agent endsWith '-7' && !(urgency == null)", risk_tier: T3}
              - {name: z, condition: true, risk_tier: T1}
            """,
    };

    static final String[] TOKENS = {"(", ")", "[", "]", "'", "\"", "''", "\\", "\\\\", "\\u", "\\u00", ":", ": ", "- ", "\n",
            "\n  ", "\n    - ", "{", "}", ",", "#", "&a ", "*a", "!", "!!str ", "|", ">", "%", "@", "`", "and", "or", "not", "in",
            "matches", "contains", "startsWith", "==", "!=", "<=", ">=", "=", "+", "-", "*", "/", ".", "args.", "time.",
            "null", "true", "false", "0", "-1", "99999999999999999999999", "1.5", "1e9", "30m", "99999999999999999999d",
            "T0", "T3", "T9", "deny", "policies", "condition", "name", "risk_tier", "default", "lower(", "len(", "\u0000",
            "\u0007", "\u001b", "\u007f", "\u0085", "\u2028", "\u2029", "\ufeff", "\ud800", "\udc00", "😀", "é", "\t", "\r",
            "(a+)+$", "(?=x)", "\\1", "(?<=a)", "[a-z&&[^e]]", "{1000}", "(?i)", "\\Q", "\\E"};

    @Test
    void everyInputLoadsOrFailsWithLocatedErrorsNeverAnotherWay() {
        canaryFile = dir.resolve("canary").toString();
        payloads = List.of(
                "\"); System.setProperty(\"" + CANARY + "\", \"pwned\"); (\"",
                "\\\"); System.setProperty(\\\"" + CANARY + "\\\", \\\"1\\\"); //",
                "*/ System.setProperty(\"" + CANARY + "\", \"2\"); /*",
                "\\u0022); System.setProperty(\\u0022" + CANARY + "\\u0022, \\u00223\\u0022); //",
                "\\u000a System.setProperty(\"" + CANARY + "\", \"4\");",
                "\"; new java.io.FileOutputStream(\"" + canaryFile.replace("\\", "\\\\") + "\"); \"",
                "'); new java.io.FileOutputStream('" + canaryFile + "'); ('");
        List<String> failures = new ArrayList<>();
        int[] loaded = {0}, refused = {0}, compiled = {0};
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofMinutes(LONG ? 60 : 5), () -> {
            for (int i = 0; i < INPUTS && failures.size() < 10; i++) {
                String text = input(i);
                boolean deep = i % 500 == 7;
                long t0 = System.nanoTime();
                try {
                    PolicySet set = PolicyLoader.parse("fuzz.yaml", text);
                    loaded[0]++;
                    String source = PolicyCompiler.source(set);
                    for (String line : source.split("\n")) {
                        if (!line.strip().startsWith("// rule") && (line.contains(CANARY) || line.contains("FileOutputStream"))) {
                            failures.add("#" + i + ": a payload reached the generated source: " + line);
                        }
                    }
                    if (deep || loaded[0] % COMPILE_EVERY == 0) {
                        CompiledPolicy p = PolicyCompiler.compile(set);
                        compiled[0]++;
                        PolicyRequest r = PolicyRequest.builder(i % 2 == 0 ? "deploy" : payloads.get(i % payloads.size()))
                                .resource("prod/web").arg("sql", "drop table x").arg("environment", "production").build();
                        Decision expected = new ReferencePolicy(set).decide(r);
                        if (!expected.equals(p.decide(r))) failures.add("#" + i + ": compiled and reference disagree\n" + abbreviate(text));
                    }
                } catch (PolicyException e) {
                    refused[0]++;
                    for (PolicyError err : e.errors()) {
                        String where = located(text, err);
                        if (where != null) failures.add("#" + i + ": " + where + ": " + err.format() + "\n--- input ---\n" + abbreviate(text));
                    }
                } catch (Throwable e) {
                    failures.add("#" + i + ": " + e + " at " + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?")
                            + "\n--- input ---\n" + abbreviate(text));
                }
                long took = System.nanoTime() - t0;
                if (took > PER_INPUT_NANOS) failures.add("#" + i + ": took " + took / 1_000_000 + " ms\n" + abbreviate(text));
            }
        });
        System.out.printf("policy fuzz: %d inputs, %d loaded (%d compiled), %d refused, %d s%n", loaded[0] + refused[0],
                loaded[0], compiled[0], refused[0], (System.nanoTime() - start) / 1_000_000_000L);
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures (seed " + SEED + "):\n" + String.join("\n\n", failures));
        assertNull(System.getProperty(CANARY), "a payload ran");
        assertFalse(Files.exists(Path.of(canaryFile)), "a payload wrote a file");
        assertEquals(INPUTS, loaded[0] + refused[0]);
        // Not a degenerate workload: both outcomes are common.
        assertTrue(loaded[0] > INPUTS / 20 && refused[0] > INPUTS / 4, "loaded " + loaded[0] + ", refused " + refused[0]);
    }

    /** Null when the error points inside the text (a line that exists, a column on it or just after it). */
    static String located(String text, PolicyError err) {
        SourceLocation at = err.location();
        if (at == null) return "no location";
        if (!"fuzz.yaml".equals(at.file())) return "wrong file";
        // YAML counts \r, \n, \r\n and, in YAML 1.1, NEL, LS and PS as line breaks; the loader shows
        // lines split at \n. A location must be inside the text by one or the other.
        String[] yamlLines = text.split("\r\n|[\r\n\u0085\u2028\u2029]", -1);
        String[] lines = text.split("\r?\n", -1);
        int count = Math.max(yamlLines.length, lines.length);
        if (at.line() < 1 || at.line() > count) return "line outside the text (" + count + " lines)";
        int longest = 0;
        for (String l : lines) longest = Math.max(longest, l.length());
        if (at.column() < 1 || at.column() > longest + 1) return "column outside the text";
        if (err.message() == null || err.message().isBlank()) return "no message";
        return null;
    }

    String input(int i) {
        return switch (i % 10) {
            case 0, 1, 2 -> byteMutation(pick(SEEDS));
            case 3, 4 -> tokenMutation(pick(SEEDS));
            case 5 -> randomYaml();
            case 6, 7 -> policyWith(condition(4));
            case 8 -> i % 500 == 8 ? deep() : policyWith(payloadCondition());
            default -> i % 500 == 9 ? deep() : tokenMutation(policyWith(condition(3)));
        };
    }

    String byteMutation(String s) {
        StringBuilder sb = new StringBuilder(s);
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n && sb.length() > 0; k++) {
            int at = rnd.nextInt(sb.length());
            switch (rnd.nextInt(5)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, (char) rnd.nextInt(128));
                case 2 -> sb.setCharAt(at, (char) rnd.nextInt(0x3000));
                case 3 -> sb.insert(at, sb.charAt(rnd.nextInt(sb.length())));
                default -> {
                    int end = Math.min(sb.length(), at + rnd.nextInt(20));
                    sb.insert(rnd.nextInt(sb.length()), sb.substring(at, end));
                }
            }
        }
        return sb.toString();
    }

    String tokenMutation(String s) {
        StringBuilder sb = new StringBuilder(s);
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
            int at = rnd.nextInt(sb.length() + 1);
            if (rnd.nextBoolean() && at < sb.length()) {
                int end = Math.min(sb.length(), at + 1 + rnd.nextInt(6));
                sb.replace(at, end, pick(TOKENS));
            } else {
                sb.insert(at, pick(TOKENS));
            }
        }
        return sb.toString();
    }

    String randomYaml() {
        return yamlNode(0, 3) + "\n";
    }

    String yamlNode(int indent, int depth) {
        String pad = " ".repeat(indent);
        int k = depth <= 0 ? 2 + rnd.nextInt(3) : rnd.nextInt(6);
        String[] keys = {"policies", "name", "condition", "risk_tier", "effect", "reason", "default", "required_approvals",
                "required_roles", "timeout", "requires_mfa", "version", "timezone", "x", "?", "- a"};
        return switch (k) {
            case 0 -> {
                StringBuilder sb = new StringBuilder();
                int n = rnd.nextInt(4);
                for (int j = 0; j < n; j++) sb.append("\n").append(pad).append(pick(keys)).append(": ").append(yamlNode(indent + 2, depth - 1));
                yield n == 0 ? "{}" : sb.toString();
            }
            case 1 -> {
                StringBuilder sb = new StringBuilder();
                int n = rnd.nextInt(4);
                for (int j = 0; j < n; j++) sb.append("\n").append(pad).append("- ").append(yamlNode(indent + 2, depth - 1));
                yield n == 0 ? "[]" : sb.toString();
            }
            case 2 -> Conditions.yamlQuote(rnd.nextBoolean() ? condition(2) : pick(TOKENS) + pick(TOKENS));
            case 3 -> pick(new String[]{"T0", "T2", "deny", "30m", "2", "-1", "true", "~", "null", "Europe/Vienna", "\"\"", "''"});
            case 4 -> "[" + pick(TOKENS).replace("]", "") + ", " + yamlNode(0, 0) + "]";
            default -> "{name: " + Conditions.yamlQuote(pick(TOKENS)) + ", condition: " + Conditions.yamlQuote(condition(1))
                    + ", risk_tier: T" + rnd.nextInt(5) + "}";
        };
    }

    String policyWith(String condition) {
        String q = switch (rnd.nextInt(4)) {
            case 0 -> Conditions.yamlQuote(condition);
            case 1 -> "'" + condition.replace("'", "''").replace("\n", " ") + "'";
            case 2 -> "|\n      " + condition.replace("\n", " ");
            default -> condition.replace("\n", " ");
        };
        return "policies:\n  - name: " + Conditions.yamlQuote(pick(payloads)) + "\n    condition: " + q + "\n    risk_tier: T"
                + rnd.nextInt(4) + "\n  - name: other\n    condition: \"action == 'x'\"\n    effect: deny\n    reason: "
                + Conditions.yamlQuote(pick(payloads)) + "\n";
    }

    static final String[] NAMES = {"action", "resource", "agent", "cost", "urgency", "justification", "time.hour",
            "time.weekday", "args.a", "args.a.b.c", "sql", "environment", "args.class", "args.in", "agnet", "time.x", "args"};
    static final String[] LITS = {"0", "1", "-7", "5000", "1.25", "'x'", "\"prod\"", "''", "true", "false", "null", "30m",
            "1h30m", "[1, 2]", "['a', 'b']", "[]", "'\\u0041'", "'\\n'", "'é😀'", "99999999999999999999999999"};
    static final String[] REGEXES = {"'^p'", "'(?i)drop\\s+table'", "'(a+)+$'", "'(.*a){20}'", "'[0-9]{1,3}'", "'\\bx\\b'",
            "'(a)\\1'", "'(?=x)'", "'a*+'", "'[a&&b]'", "'(?U)x'", "'\\p{L}+'", "'(unclosed'", "'x{2,1}'", "'\\Qa.b\\E'",
            "'((a{1000}){1000}){1000}'", "'\\v'", "'(?P<n>x)'", "''"};

    String value(int depth) {
        int k = depth <= 0 ? rnd.nextInt(2) : rnd.nextInt(6);
        return switch (k) {
            case 0 -> pick(NAMES);
            case 1 -> pick(LITS);
            case 2 -> "(" + value(depth - 1) + " " + pick(new String[]{"+", "-", "*", "/"}) + " " + value(depth - 1) + ")";
            case 3 -> pick(new String[]{"lower", "upper", "len", "abs", "lowr", "exec"}) + "(" + value(depth - 1) + ")";
            case 4 -> "[" + value(depth - 1) + ", " + value(0) + "]";
            default -> "-" + value(depth - 1);
        };
    }

    String condition(int depth) {
        int k = depth <= 0 ? rnd.nextInt(5) : rnd.nextInt(9);
        return switch (k) {
            case 0 -> value(1) + " " + pick(new String[]{"==", "!=", "<", "<=", ">", ">="}) + " " + value(1);
            case 1 -> value(0) + pick(new String[]{" in ", " not in "}) + value(1);
            case 2 -> value(0) + " " + pick(new String[]{"contains", "startsWith", "endsWith"}) + " " + value(0);
            case 3 -> value(0) + " matches " + pick(REGEXES);
            case 4 -> pick(NAMES);
            case 5 -> pick(new String[]{"not ", "!", "NOT "}) + "(" + condition(depth - 1) + ")";
            case 6, 7 -> "(" + condition(depth - 1) + pick(new String[]{" and ", " AND ", " && "}) + condition(depth - 1) + ")";
            default -> condition(depth - 1) + pick(new String[]{" or ", " OR ", " || "}) + condition(depth - 1);
        };
    }

    String payloadCondition() {
        String p = pick(payloads).replace("\\", "\\\\").replace("'", "\\'");
        return pick(new String[]{"action == '" + p + "'", "args.a contains '" + p + "'", "agent matches '" + p.replace("(", "\\(").replace(")", "\\)") + "'",
                "'" + p + "' in [action, resource]", "args.a == '" + p + "' or sql startsWith '" + p + "'"});
    }

    /** Huge and deep shapes: each is a classic way to overflow a recursive parser or a method size. */
    String deep() {
        int n = 1_000 + rnd.nextInt(50_000);
        String c = switch (rnd.nextInt(10)) {
            case 0 -> "(".repeat(n) + "action == 'x'" + ")".repeat(n);
            case 1 -> "not ".repeat(n) + "action == 'x'";
            case 2 -> "cost > " + "-".repeat(n) + "1";
            case 3 -> "x in " + "[".repeat(n) + "]".repeat(n);
            case 4 -> "action == 'x'" + " or action == 'y'".repeat(n / 10);
            case 5 -> "cost > 1" + " + 1".repeat(n / 10);
            case 6 -> "x in [" + "y, ".repeat(n) + "z]";
            case 7 -> "x matches '" + "(".repeat(n) + "a" + ")".repeat(n) + "'";
            case 8 -> "lower(".repeat(n) + "x" + ")".repeat(n) + " == 'x'";
            default -> "x == '" + "é😀\u0000".repeat(n) + "'";
        };
        if (rnd.nextInt(4) == 0) {
            // Deep YAML rather than a deep condition.
            return rnd.nextBoolean() ? "policies: " + "[".repeat(n) + "]".repeat(n) + "\n"
                    : "policies: " + "{a: ".repeat(n) + "1" + "}".repeat(n) + "\n";
        }
        return policyWith(c);
    }

    /** Long inputs are shown by their start and end, with control characters visible. */
    static String abbreviate(String s) {
        String shown = s.length() <= 600 ? s : s.substring(0, 300) + " [... " + (s.length() - 600) + " characters ...] "
                + s.substring(s.length() - 300);
        StringBuilder sb = new StringBuilder();
        for (char c : shown.toCharArray()) {
            if (c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 && c < 0xa0 || c >= 0x2028 && c <= 0x2029) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    <T> T pick(T[] a) {
        return a[rnd.nextInt(a.length)];
    }

    <T> T pick(List<T> a) {
        return a.get(rnd.nextInt(a.size()));
    }
}
