package dev.magistrate.benchmarks.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The one description every engine's policy is generated from, so that the comparison is the same
 * workload everywhere (Caffeine's rule: one benchmark, several implementations behind an adapter).
 *
 * <p>Each action of an operations agent gets five rules, the shape of a real guard-rail file:
 * <ol>
 *   <li>deny above a hard ceiling ({@code amount > 20000 + 10k});</li>
 *   <li>T2 for production changes above a threshold;</li>
 *   <li>T1 whenever the caller acts in an untrusted role;</li>
 *   <li>T3 for large amounts on production resources ({@code resource startsWith 'prod-'});</li>
 *   <li>T0 (runs unasked) for routine amounts by trusted roles.</li>
 * </ol>
 * A policy of {@code n} rules covers {@code n / 5} actions, so most rules of a large set cannot
 * match a given call: what an engine does with those decides how it scales.
 */
public final class PolicyDescription {

    private static final String[] VERBS = {"refund_order", "scale_service", "deploy", "delete_records", "send_email"};
    private static final String[] ROLES = {"sre", "admin", "developer", "intern", "contractor"};
    public static final String UNLISTED_ACTION = "unlisted_tool";

    private final List<RuleSpec> rules;
    private final List<String> actions;

    private PolicyDescription(List<RuleSpec> rules, List<String> actions) {
        this.rules = List.copyOf(rules);
        this.actions = List.copyOf(actions);
    }

    /** A policy of {@code ruleCount} rules (a multiple of 5). */
    public static PolicyDescription of(int ruleCount) {
        if (ruleCount <= 0 || ruleCount % 5 != 0) throw new IllegalArgumentException("rule count must be a positive multiple of 5");
        List<RuleSpec> rules = new ArrayList<>(ruleCount);
        List<String> actions = new ArrayList<>();
        for (int k = 0; k < ruleCount / 5; k++) {
            String action = VERBS[k % VERBS.length] + "_" + k;
            actions.add(action);
            rules.add(new RuleSpec(action + "-ceiling", Outcome.DENY, 3, action,
                    List.of(new Condition.AmountAbove(20_000 + 10L * k))));
            rules.add(new RuleSpec(action + "-production-change", Outcome.APPROVE, 2, action,
                    List.of(new Condition.EnvironmentIs("production"), new Condition.AmountAbove(1_000 + 10L * k))));
            rules.add(new RuleSpec(action + "-untrusted-role", Outcome.APPROVE, 1, action,
                    List.of(new Condition.RoleIn(List.of("intern", "contractor")))));
            rules.add(new RuleSpec(action + "-large-on-prod", Outcome.APPROVE, 3, action,
                    List.of(new Condition.ResourceStartsWith("prod-"), new Condition.AmountAbove(5_000 + 10L * k))));
            rules.add(new RuleSpec(action + "-routine", Outcome.ALLOW, 0, action,
                    List.of(new Condition.RoleIn(List.of("sre", "admin", "developer")), new Condition.AmountAtMost(500 + k))));
        }
        return new PolicyDescription(rules, actions);
    }

    public List<RuleSpec> rules() {
        return rules;
    }

    public List<String> actions() {
        return actions;
    }

    /**
     * {@code count} calls drawn with a fixed seed: nine in ten name an action of the policy, the rest
     * an action no rule mentions; amounts fall in every band between the thresholds, a third of
     * them routine.
     */
    public List<Call> calls(int count, long seed) {
        Random r = new Random(seed);
        List<Call> calls = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String action = r.nextInt(10) == 0 ? UNLISTED_ACTION : actions.get(r.nextInt(actions.size()));
            String role = ROLES[r.nextInt(ROLES.length)];
            long amount = switch (r.nextInt(6)) {
                case 0, 5 -> r.nextInt(500);
                case 1 -> 600 + r.nextInt(1_000);
                case 2 -> 1_600 + r.nextInt(4_000);
                case 3 -> 5_600 + r.nextInt(15_000);
                default -> 20_000 + r.nextInt(20_000);
            };
            String environment = r.nextBoolean() ? "production" : "staging";
            String resource = (environment.equals("production") && r.nextInt(4) != 0 ? "prod-" : "stage-") + "db-" + r.nextInt(8);
            calls.add(new Call(action, "ops-agent", resource, role, amount, environment));
        }
        return calls;
    }

    /** What the outcome must be, computed directly from the description: the oracle of the agreement test. */
    public Outcome expected(Call call) {
        boolean deny = false;
        int highest = -1;
        for (RuleSpec rule : rules) {
            if (!rule.action().equals(call.action())) continue;
            boolean all = true;
            for (Condition c : rule.conditions()) all &= holds(c, call);
            if (!all) continue;
            if (rule.kind() == Outcome.DENY) deny = true;
            highest = Math.max(highest, rule.tier());
        }
        return Outcome.combine(deny, highest);
    }

    private static boolean holds(Condition c, Call call) {
        if (c instanceof Condition.AmountAbove a) return call.amount() > a.limit();
        if (c instanceof Condition.AmountAtMost a) return call.amount() <= a.limit();
        if (c instanceof Condition.RoleIn ri) return ri.roles().contains(call.role());
        if (c instanceof Condition.EnvironmentIs e) return e.environment().equals(call.environment());
        if (c instanceof Condition.ResourceStartsWith s) return call.resource().startsWith(s.prefix());
        throw new IllegalArgumentException(String.valueOf(c));
    }

    /** The policy in Magistrate's YAML. */
    public String toMagistrateYaml() {
        StringBuilder y = new StringBuilder("description: generated benchmark policy, ").append(rules.size()).append(" rules\npolicies:\n");
        for (RuleSpec rule : rules) {
            StringBuilder cond = new StringBuilder("action == '").append(rule.action()).append('\'');
            for (Condition c : rule.conditions()) cond.append(" and ").append(magistrate(c));
            y.append("  - name: \"").append(rule.name()).append("\"\n");
            y.append("    condition: \"").append(cond).append("\"\n");
            if (rule.kind() == Outcome.DENY) {
                y.append("    effect: deny\n    reason: \"above the hard ceiling for ").append(rule.action()).append("\"\n");
            } else {
                y.append("    risk_tier: \"T").append(rule.tier()).append("\"\n");
            }
        }
        return y.toString();
    }

    private static String magistrate(Condition c) {
        if (c instanceof Condition.AmountAbove a) return "args.amount > " + a.limit();
        if (c instanceof Condition.AmountAtMost a) return "args.amount <= " + a.limit();
        if (c instanceof Condition.RoleIn ri) return "args.role in [" + quoted(ri.roles(), "'") + "]";
        if (c instanceof Condition.EnvironmentIs e) return "args.environment == '" + e.environment() + "'";
        if (c instanceof Condition.ResourceStartsWith s) return "resource startsWith '" + s.prefix() + "'";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    /** {@code 'a', 'b'} with the given quote. */
    public static String quoted(List<String> values, String quote) {
        StringBuilder b = new StringBuilder();
        for (String v : values) {
            if (b.length() > 0) b.append(", ");
            b.append(quote).append(v).append(quote);
        }
        return b.toString();
    }
}
