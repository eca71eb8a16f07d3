package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicyRequest;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.ReferencePolicy;

/** Magistrate: the Janino-compiled policy, or the reference interpreter over the same checked set. */
public final class MagistrateEngine implements DecisionEngine {

    private final CompiledPolicy policy;

    private MagistrateEngine(CompiledPolicy policy) {
        this.policy = policy;
    }

    public static MagistrateEngine compiled(PolicyDescription description) {
        return new MagistrateEngine(PolicyCompiler.compile(load(description)));
    }

    public static MagistrateEngine reference(PolicyDescription description) {
        return new MagistrateEngine(new ReferencePolicy(load(description)));
    }

    private static PolicySet load(PolicyDescription description) {
        return PolicyLoader.parse("benchmark-" + description.rules().size() + ".yaml", description.toMagistrateYaml());
    }

    @Override
    public Object prepare(Call call) {
        return PolicyRequest.builder(call.action()).agent(call.agent()).resource(call.resource())
                .arg("role", call.role()).arg("amount", call.amount()).arg("environment", call.environment()).build();
    }

    @Override
    public Outcome decide(Object prepared) {
        Decision d = policy.decide((PolicyInput) prepared);
        return switch (d.effect()) {
            case ALLOW -> Outcome.ALLOW;
            case APPROVE -> Outcome.APPROVE;
            case DENY -> Outcome.DENY;
        };
    }
}
