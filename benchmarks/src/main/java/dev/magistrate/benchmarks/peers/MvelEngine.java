package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Condition;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.benchmarks.policy.RuleSpec;
import org.mvel2.MVEL;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/** The same conditions as MVEL expressions, compiled once ({@link MVEL#compileExpression}), over a prepared variable map. */
public final class MvelEngine implements DecisionEngine {

    private final ConditionRules<Serializable> rules;

    public MvelEngine(PolicyDescription description) {
        rules = new ConditionRules<>(description.rules(), r -> MVEL.compileExpression(expression(r)),
                (e, vars) -> Boolean.TRUE.equals(MVEL.executeExpression(e, (Map<?, ?>) vars)));
    }

    static String expression(RuleSpec rule) {
        StringBuilder b = new StringBuilder();
        for (Condition c : rule.conditions()) {
            if (b.length() > 0) b.append(" && ");
            b.append(mvel(c));
        }
        return b.toString();
    }

    private static String mvel(Condition c) {
        if (c instanceof Condition.AmountAbove a) return "amount > " + a.limit();
        if (c instanceof Condition.AmountAtMost a) return "amount <= " + a.limit();
        if (c instanceof Condition.RoleIn ri) {
            StringBuilder b = new StringBuilder("(");
            for (String role : ri.roles()) {
                if (b.length() > 1) b.append(" || ");
                b.append("role == '").append(role).append('\'');
            }
            return b.append(')').toString();
        }
        if (c instanceof Condition.EnvironmentIs e) return "environment == '" + e.environment() + "'";
        if (c instanceof Condition.ResourceStartsWith s) return "resource.startsWith('" + s.prefix() + "')";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    record Input(String action, Map<String, Object> vars) { }

    @Override
    public Object prepare(Call call) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("amount", call.amount());
        vars.put("role", call.role());
        vars.put("environment", call.environment());
        vars.put("resource", call.resource());
        return new Input(call.action(), vars);
    }

    @Override
    public Outcome decide(Object prepared) {
        Input in = (Input) prepared;
        return rules.decide(in.action(), in.vars());
    }
}
