package dev.magistrate.governor;

import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.Tier;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A policy written in Java for engine tests that must not depend on the DSL compiler: it maps each
 * input to a real {@link Decision}. The scenario tests use real YAML policies instead.
 */
record TestPolicy(String version, Function<PolicyInput, Decision> rules) implements CompiledPolicy {

    @Override
    public Decision decide(PolicyInput input) {
        return rules.apply(input);
    }

    static TestPolicy always(Decision d) {
        return new TestPolicy(d.policyVersion(), in -> d);
    }

    static Decision allow() {
        return new Decision(Effect.ALLOW, Tier.T0, List.of("Auto-approve reads"), 0, List.of(), false, Duration.ZERO, Duration.ofMinutes(1),
                Map.of(), "test-v1");
    }

    static Decision approve(Tier tier, int approvals, List<String> roles, boolean mfa, Duration timeout) {
        return new Decision(Effect.APPROVE, tier, List.of("rule-" + tier), approvals, roles, mfa, timeout, Duration.ofMinutes(5), Map.of(),
                "test-v1");
    }

    static Decision deny(String rule, String reason) {
        return new Decision(Effect.DENY, Tier.T3, List.of(rule), 0, List.of(), false, Duration.ZERO, Duration.ZERO, Map.of(rule, reason),
                "test-v1");
    }
}
