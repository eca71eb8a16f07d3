package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Condition;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.benchmarks.policy.RuleSpec;
import org.apache.commons.jexl3.JexlBuilder;
import org.apache.commons.jexl3.JexlExpression;
import org.apache.commons.jexl3.MapContext;

/** The same conditions as Apache Commons JEXL expressions, compiled once, over a prepared {@link MapContext}. */
public final class JexlEngine implements DecisionEngine {

    private final ConditionRules<JexlExpression> rules;

    public JexlEngine(PolicyDescription description) {
        org.apache.commons.jexl3.JexlEngine jexl = new JexlBuilder().cache(512).strict(true).silent(false).create();
        rules = new ConditionRules<>(description.rules(), r -> jexl.createExpression(expression(r)),
                (e, ctx) -> Boolean.TRUE.equals(e.evaluate((MapContext) ctx)));
    }

    static String expression(RuleSpec rule) {
        StringBuilder b = new StringBuilder();
        for (Condition c : rule.conditions()) {
            if (b.length() > 0) b.append(" && ");
            b.append(jexl(c));
        }
        return b.toString();
    }

    private static String jexl(Condition c) {
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
        if (c instanceof Condition.ResourceStartsWith s) return "resource =^ '" + s.prefix() + "'";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    /** The action and the context the expressions read. */
    record Input(String action, MapContext context) { }

    @Override
    public Object prepare(Call call) {
        MapContext ctx = new MapContext();
        ctx.set("amount", call.amount());
        ctx.set("role", call.role());
        ctx.set("environment", call.environment());
        ctx.set("resource", call.resource());
        return new Input(call.action(), ctx);
    }

    @Override
    public Outcome decide(Object prepared) {
        Input in = (Input) prepared;
        return rules.decide(in.action(), in.context());
    }
}
