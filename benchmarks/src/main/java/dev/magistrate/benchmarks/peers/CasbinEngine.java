package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Condition;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.benchmarks.policy.RuleSpec;
import org.casbin.jcasbin.main.EnforceResult;
import org.casbin.jcasbin.main.Enforcer;
import org.casbin.jcasbin.model.Model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * jCasbin with the ABAC-with-policy-rules model: one policy line per rule, the line's condition
 * evaluated by {@code eval(p.sub_rule)} (AviatorScript) against the subject's attributes. Casbin
 * has no "most severe wins" effect, so lines are ordered deny, then approval rules by descending
 * tier, then allow rules, and the {@code priority} effect lets the first matching line decide; the
 * line's {@code kind} column says which answer that is. No line matches: approval (Magistrate's
 * implicit T1 default).
 */
public final class CasbinEngine implements DecisionEngine {

    static final String MODEL = """
            [request_definition]
            r = sub, act

            [policy_definition]
            p = act, sub_rule, kind, eft

            [policy_effect]
            e = priority(p.eft) || deny

            [matchers]
            m = r.act == p.act && eval(p.sub_rule)
            """;

    private final Enforcer enforcer;

    public CasbinEngine(PolicyDescription description) {
        Model model = new Model();
        model.loadModelFromText(MODEL);
        enforcer = new Enforcer(model);
        enforcer.enableLog(false);
        List<RuleSpec> ordered = new ArrayList<>(description.rules());
        ordered.sort(Comparator.comparingInt(CasbinEngine::severity));
        List<List<String>> lines = new ArrayList<>();
        for (RuleSpec rule : ordered) {
            lines.add(List.of(rule.action(), condition(rule), rule.kind().name(), rule.kind() == Outcome.ALLOW ? "allow" : "deny"));
        }
        enforcer.addPolicies(lines);
    }

    /** Deny first, then approvals from T3 down, then allows: the order the priority effect needs. */
    private static int severity(RuleSpec rule) {
        return rule.kind() == Outcome.DENY ? 0 : rule.kind() == Outcome.APPROVE ? 4 - rule.tier() : 9;
    }

    static String condition(RuleSpec rule) {
        StringBuilder b = new StringBuilder();
        for (Condition c : rule.conditions()) {
            if (b.length() > 0) b.append(" && ");
            b.append(aviator(c));
        }
        return b.toString();
    }

    private static String aviator(Condition c) {
        if (c instanceof Condition.AmountAbove a) return "r.sub.amount > " + a.limit();
        if (c instanceof Condition.AmountAtMost a) return "r.sub.amount <= " + a.limit();
        if (c instanceof Condition.RoleIn ri) {
            StringBuilder b = new StringBuilder("(");
            for (String role : ri.roles()) {
                if (b.length() > 1) b.append(" || ");
                b.append("r.sub.role == '").append(role).append('\'');
            }
            return b.append(')').toString();
        }
        if (c instanceof Condition.EnvironmentIs e) return "r.sub.environment == '" + e.environment() + "'";
        if (c instanceof Condition.ResourceStartsWith s) return "string.startsWith(r.sub.resource, '" + s.prefix() + "')";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    /** The request subject: jCasbin reads attributes through public getters. */
    public static final class Subject {
        private final String role;
        private final long amount;
        private final String environment;
        private final String resource;

        Subject(Call call) {
            role = call.role();
            amount = call.amount();
            environment = call.environment();
            resource = call.resource();
        }

        public String getRole() { return role; }

        public long getAmount() { return amount; }

        public String getEnvironment() { return environment; }

        public String getResource() { return resource; }
    }

    @Override
    public Object prepare(Call call) {
        return new Object[] {new Subject(call), call.action()};
    }

    @Override
    public Outcome decide(Object prepared) {
        EnforceResult result = enforcer.enforceEx((Object[]) prepared);
        List<String> line = result.getExplain();
        if (line == null || line.isEmpty()) return Outcome.APPROVE;
        return Outcome.valueOf(line.get(2));
    }
}
