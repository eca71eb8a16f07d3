package dev.magistrate.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.policy.expr.Durations;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code policy check}, {@code policy eval} and {@code policy test}: what a policy author runs.
 * Exit status 0 on success, 1 on a negative answer (errors found, a test failed), 2 on a usage error.
 * The agent jar's command line exposes the same commands.
 */
public final class PolicyTool {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = List.of(args).subList(1, args.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        return switch (args[0]) {
            case "check" -> check(rest, out, err);
            case "eval" -> eval(rest, out, err);
            case "test" -> test(rest, out, err);
            default -> usage(err, "unknown command '" + args[0] + "'");
        };
    }

    static final String USAGE = """
            usage: policy check FILE|DIR...
                   policy eval FILE|DIR --action A [--arg NAME=VALUE]... [--cost N] [--agent ID]
                               [--resource R] [--justification T] [--urgency U] [--time ISO-8601] [--json]
                   policy test TESTFILE.yaml

            check  loads and checks policy files; prints file:line:col: message per error
            eval   decides one call and prints the decision (--json: one JSON object)
            test   runs the test cases kept beside a policy and prints N passed, M failed
            An --arg value that looks like a number or true/false is passed as one.""";

    static int check(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) return usage(err, "check needs at least one policy file or directory");
        int rules = 0;
        boolean failed = false;
        for (String a : args) {
            try {
                PolicySet set = PolicyLoader.load(Path.of(a));
                PolicyCompiler.compile(set);
                rules += set.rules().size();
            } catch (PolicyException e) {
                err.println(e.getMessage());
                failed = true;
            }
        }
        if (failed) return 1;
        out.println("OK " + rules + " rules in " + args.size() + (args.size() == 1 ? " path" : " paths"));
        return 0;
    }

    static int eval(List<String> args, PrintStream out, PrintStream err) {
        String file = null;
        String action = null;
        boolean json = false;
        PolicyRequest.Builder b = null;
        Map<String, Object> callArgs = new LinkedHashMap<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--json")) {
                json = true;
            } else if (a.startsWith("--")) {
                if (i + 1 >= args.size()) return usage(err, a + " needs a value");
                String v = args.get(++i);
                if (a.equals("--arg")) {
                    int eq = v.indexOf('=');
                    if (eq <= 0) return usage(err, "--arg takes NAME=VALUE, not '" + v + "'");
                    callArgs.put(v.substring(0, eq), typed(v.substring(eq + 1)));
                } else if (List.of("--action", "--cost", "--agent", "--resource", "--justification", "--urgency", "--time").contains(a)) {
                    options.put(a, v);
                } else {
                    return usage(err, "unknown option " + a);
                }
            } else if (file == null) {
                file = a;
            } else {
                return usage(err, "eval takes one policy file or directory; unexpected '" + a + "'");
            }
        }
        action = options.get("--action");
        if (file == null) return usage(err, "eval needs a policy file or directory");
        if (action == null) return usage(err, "eval needs --action");
        b = PolicyRequest.builder(action).agent(options.get("--agent")).resource(options.get("--resource"))
                .justification(options.get("--justification")).urgency(options.get("--urgency"));
        if (options.containsKey("--cost")) {
            Object cost = typed(options.get("--cost"));
            if (!(cost instanceof Number)) return usage(err, "--cost takes a number, not '" + options.get("--cost") + "'");
            b.cost(cost);
        }
        if (options.containsKey("--time")) {
            try {
                b.time(Instant.parse(options.get("--time")));
            } catch (DateTimeException e) {
                return usage(err, "--time takes an ISO-8601 instant like 2026-11-24T03:00:00Z");
            }
        }
        callArgs.forEach(b::arg);
        CompiledPolicy policy;
        try {
            policy = PolicyCompiler.compile(PolicyLoader.load(Path.of(file)));
        } catch (PolicyException e) {
            err.println(e.getMessage());
            return 1;
        }
        Decision d = policy.decide(b.build());
        out.println(json ? toJson(d) : d.explain());
        return 0;
    }

    static int test(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) return usage(err, "test takes one test file");
        return PolicyTestRunner.run(Path.of(args.get(0)), out, err);
    }

    /** The decision as one JSON object with stable snake_case field names. */
    public static String toJson(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("effect", d.effect().wireName());
        m.put("tier", d.tier().name());
        m.put("rules", d.matchedRules());
        m.put("approvals", d.requiredApprovals());
        m.put("roles", d.requiredRoles());
        m.put("mfa", d.mfaRequired());
        m.put("timeout", Durations.format(d.approvalTimeout()));
        m.put("warrant_ttl", Durations.format(d.warrantTtl()));
        m.put("deny_reasons", d.denyReasons());
        m.put("policy_version", d.policyVersion());
        m.put("explain", d.explain());
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object typed(String v) {
        if (v.equals("true")) return Boolean.TRUE;
        if (v.equals("false")) return Boolean.FALSE;
        if (v.matches("-?\\d{1,18}")) return Long.parseLong(v);
        if (v.matches("-?\\d+(\\.\\d+)?")) return new BigDecimal(v);
        return v;
    }

    private static int usage(PrintStream err, String message) {
        err.println("error: " + message);
        err.println(USAGE);
        return 2;
    }
}
