package dev.magistrate.benchmarks.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Condition;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.benchmarks.policy.RuleSpec;
import io.sapl.api.pdp.AuthorizationDecision;
import io.sapl.api.pdp.AuthorizationSubscription;
import io.sapl.api.pdp.Decision;
import io.sapl.interpreter.combinators.PolicyDocumentCombiningAlgorithm;
import io.sapl.pdp.EmbeddedPolicyDecisionPoint;
import io.sapl.pdp.PolicyDecisionPointFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SAPL's embedded PDP with every rule as one policy document in RAM, combined with
 * {@code deny-overrides}. T0 rules permit; deny and approval rules deny and carry an obligation
 * naming their kind, which the combined decision keeps: a DENY with a "deny" obligation is a deny,
 * any other DENY (or no applicable policy) needs approval. One decision is {@code decideOnce(..).block()}.
 */
public final class SaplEngine implements DecisionEngine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmbeddedPolicyDecisionPoint pdp;

    public SaplEngine(PolicyDescription description) {
        List<String> documents = new ArrayList<>();
        for (RuleSpec rule : description.rules()) documents.add(document(rule));
        try {
            pdp = PolicyDecisionPointFactory.fixedInRamPolicyDecisionPoint(documents, PolicyDocumentCombiningAlgorithm.DENY_OVERRIDES, Map.of());
        } catch (Exception e) {
            throw new IllegalStateException("SAPL PDP did not start", e);
        }
    }

    static String document(RuleSpec rule) {
        StringBuilder b = new StringBuilder("policy \"").append(rule.name()).append("\"\n")
                .append(rule.kind() == Outcome.ALLOW ? "permit" : "deny")
                .append(" action == \"").append(rule.action()).append("\"\nwhere\n");
        for (Condition c : rule.conditions()) b.append("  ").append(sapl(c)).append(";\n");
        if (rule.kind() != Outcome.ALLOW) b.append("obligation \"").append(rule.kind().name()).append("\"\n");
        return b.toString();
    }

    private static String sapl(Condition c) {
        if (c instanceof Condition.AmountAbove a) return "resource.amount > " + a.limit();
        if (c instanceof Condition.AmountAtMost a) return "resource.amount <= " + a.limit();
        if (c instanceof Condition.RoleIn ri) {
            StringBuilder b = new StringBuilder("(");
            for (String role : ri.roles()) {
                if (b.length() > 1) b.append(" || ");
                b.append("subject.role == \"").append(role).append('"');
            }
            return b.append(')').toString();
        }
        if (c instanceof Condition.EnvironmentIs e) return "resource.environment == \"" + e.environment() + "\"";
        if (c instanceof Condition.ResourceStartsWith s) return "resource.name =~ \"^" + s.prefix() + "\"";
        throw new IllegalArgumentException(String.valueOf(c));
    }

    @Override
    public Object prepare(Call call) {
        return AuthorizationSubscription.of(
                Map.of("id", call.agent(), "role", call.role()),
                call.action(),
                Map.of("name", call.resource(), "amount", call.amount(), "environment", call.environment()),
                JSON);
    }

    @Override
    public Outcome decide(Object prepared) {
        AuthorizationDecision d = pdp.decideOnce((AuthorizationSubscription) prepared).block();
        if (d == null) throw new IllegalStateException("SAPL returned no decision");
        Decision decision = d.getDecision();
        if (decision == Decision.PERMIT) return Outcome.ALLOW;
        if (decision == Decision.DENY) {
            ArrayNode obligations = d.getObligations().orElse(null);
            if (obligations != null) {
                for (JsonNode o : obligations) if ("DENY".equals(o.asText())) return Outcome.DENY;
            }
            return Outcome.APPROVE;
        }
        if (decision == Decision.NOT_APPLICABLE) return Outcome.APPROVE;
        throw new IllegalStateException("SAPL answered " + decision);
    }

    @Override
    public void close() {
        pdp.destroy();
    }
}
