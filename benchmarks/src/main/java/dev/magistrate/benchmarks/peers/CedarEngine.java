package dev.magistrate.benchmarks.peers;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Condition;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.benchmarks.policy.RuleSpec;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Cedar through cedar-java (the Rust evaluator over JNI, the way Java applications use Cedar).
 * T0 rules are {@code permit}s; deny and approval rules are {@code forbid}s whose policy ids say
 * which: Cedar answers Allow exactly when Magistrate allows, and the forbids it reports as reasons
 * tell a deny from a call that needs approval. The policy set is cached on the native side
 * ({@link PolicySet#cache()}), Cedar's fastest mode.
 */
public final class CedarEngine implements DecisionEngine {

    private static final EntityTypeName AGENT = EntityTypeName.parse("Agent").orElseThrow();
    private static final EntityTypeName ACTION = EntityTypeName.parse("Action").orElseThrow();
    private static final EntityTypeName RESOURCE = EntityTypeName.parse("Resource").orElseThrow();
    private static final String DENY_PREFIX = "deny-";

    private final BasicAuthorizationEngine engine = new BasicAuthorizationEngine();
    private final PolicySet policies;
    private final Set<Entity> entities = Set.of();

    public CedarEngine(PolicyDescription description) {
        Set<Policy> set = new HashSet<>();
        int i = 0;
        for (RuleSpec rule : description.rules()) {
            set.add(new Policy(source(rule), (rule.kind() == Outcome.DENY ? DENY_PREFIX : rule.kind() == Outcome.ALLOW ? "allow-" : "approve-") + i++));
        }
        policies = new PolicySet(set);
        try {
            policies.cache();
        } catch (Exception e) {
            throw new IllegalStateException("Cedar could not cache the policy set", e);
        }
    }

    /** The Cedar text of one rule; exposed for the README and the agreement test's messages. */
    public static String source(RuleSpec rule) {
        StringBuilder when = new StringBuilder();
        for (Condition c : rule.conditions()) {
            if (when.length() > 0) when.append(" && ");
            when.append(cedar(c));
        }
        return (rule.kind() == Outcome.ALLOW ? "permit" : "forbid") + "(principal, action == Action::\"" + rule.action()
                + "\", resource) when { " + when + " };";
    }

    private static String cedar(Condition c) {
        if (c instanceof Condition.AmountAbove a) return "context.amount > " + a.limit();
        if (c instanceof Condition.AmountAtMost a) return "context.amount <= " + a.limit();
        if (c instanceof Condition.RoleIn ri) return "[" + PolicyDescription.quoted(ri.roles(), "\"") + "].contains(context.role)";
        if (c instanceof Condition.EnvironmentIs e) return "context.environment == \"" + e.environment() + "\"";
        if (c instanceof Condition.ResourceStartsWith s) return "context.resource like \"" + s.prefix() + "*\"";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    @Override
    public Object prepare(Call call) {
        Map<String, Value> context = new HashMap<>();
        context.put("amount", new PrimLong(call.amount()));
        context.put("role", new PrimString(call.role()));
        context.put("environment", new PrimString(call.environment()));
        context.put("resource", new PrimString(call.resource()));
        return new AuthorizationRequest(new EntityUID(AGENT, call.agent()), new EntityUID(ACTION, call.action()),
                new EntityUID(RESOURCE, call.resource()), context);
    }

    @Override
    public Outcome decide(Object prepared) {
        AuthorizationResponse response;
        try {
            response = engine.isAuthorized((AuthorizationRequest) prepared, policies, entities);
        } catch (AuthException e) {
            throw new IllegalStateException(e);
        }
        AuthorizationSuccessResponse ok = response.success.orElseThrow(() -> new IllegalStateException("Cedar failed: " + response.errors));
        if (ok.isAllowed()) return Outcome.ALLOW;
        for (String id : ok.getReason()) {
            if (id.startsWith(DENY_PREFIX)) return Outcome.DENY;
        }
        return Outcome.APPROVE;
    }
}
