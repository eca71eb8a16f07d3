package dev.magistrate.benchmarks;

import dev.magistrate.benchmarks.peers.DecisionEngine;
import dev.magistrate.benchmarks.peers.Engines;
import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.PolicyDescription;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Before anything is timed: every engine gives the answer the description implies on every call
 * the decision benchmark feeds it, for every policy size. A peer that disagreed would be measured
 * doing different work.
 */
class PeersAgreeTest {

    @Test
    void everyEngineAgreesWithTheDescriptionOnEveryBenchmarkCall() throws Exception {
        for (int size : DecisionBenchmark.SIZES) {
            PolicyDescription policy = PolicyDescription.of(size);
            List<Call> calls = policy.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED);
            Map<Outcome, Integer> mix = new EnumMap<>(Outcome.class);
            for (Call c : calls) mix.merge(policy.expected(c), 1, Integer::sum);
            // The inputs exercise every answer, so agreement is not agreement on one constant.
            for (Outcome o : Outcome.values()) {
                assertTrue(mix.getOrDefault(o, 0) >= calls.size() / 20, size + " rules: too few " + o + " calls: " + mix);
            }
            for (String name : Engines.ALL) {
                List<String> wrong = new ArrayList<>();
                try (DecisionEngine engine = Engines.create(name, policy)) {
                    for (Call c : calls) {
                        Outcome got = engine.decide(engine.prepare(c));
                        if (got != policy.expected(c)) wrong.add(c + " -> " + got + ", expected " + policy.expected(c));
                    }
                }
                assertEquals(List.of(), wrong, name + " disagrees on " + size + " rules (" + wrong.size() + " of " + calls.size() + ")");
            }
        }
    }

    @Test
    void theReferenceInterpreterAndTheCompiledPolicyAgreeOnFullDecisions() {
        PolicyDescription policy = PolicyDescription.of(50);
        var set = dev.magistrate.policy.PolicyLoader.parse("p.yaml", policy.toMagistrateYaml());
        var compiled = dev.magistrate.policy.PolicyCompiler.compile(set);
        var reference = new dev.magistrate.policy.ReferencePolicy(set);
        DecisionEngine prep = Engines.create("magistrate", policy);
        for (Call c : policy.calls(DecisionBenchmark.CALLS, DecisionBenchmark.SEED)) {
            var in = (dev.magistrate.policy.PolicyInput) prep.prepare(c);
            assertEquals(reference.decide(in), compiled.decide(in), c.toString());
        }
    }
}
