package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compiled policy combines each set of matched rules into a {@link Decision} once and hands out that same decision
 * for every later call that matches the same rules (docs/performance.md, "The 50-rule decision, night of
 * 2026-11-30"). Sets whose home slots in the cache collide must not evict each other, and sharing must never hand
 * one call another call's decision.
 */
class DecisionCacheTest {

    @Test
    void everySetOfMatchedRulesIsDecidedOnceAndItsDecisionSharedWithEveryLaterCall() {
        PolicySet set = PolicyLoader.parse("ten-actions.yaml", ActionRulesTest.policy(10, 5, 1));
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        List<PolicyRequest> calls = ActionRulesTest.calls(10, 3_000, 20261130L);
        List<Decision> first = new ArrayList<>();
        for (PolicyRequest call : calls) first.add(compiled.decide(call));
        Map<Decision, Boolean> distinct = new IdentityHashMap<>();
        for (int pass = 0; pass < 3; pass++) {
            for (int i = 0; i < calls.size(); i++) {
                Decision d = compiled.decide(calls.get(i));
                // The same instance: not recomputed because another set of rules took its slot in the meantime.
                assertSame(first.get(i), d, calls.get(i).toString());
                assertEquals(reference.decide(calls.get(i)), d, calls.get(i).toString());
                distinct.put(d, true);
            }
        }
        // Enough sets of matched rules that some share a home slot of the 1,024 (76 did in the 50-rule benchmark).
        assertTrue(distinct.size() > 100, distinct.size() + " distinct decisions");
    }

    @Test
    void twoCallsOfTheSameRulesShareOneDecisionAndCallsOfOtherRulesNeverGetIt() {
        PolicySet set = PolicyLoader.parse("shared.yaml", """
                policies:
                  - name: big-refund
                    condition: "action == 'refund' and args.amount > 1000"
                    risk_tier: T2
                  - name: any-refund
                    condition: "action == 'refund'"
                    risk_tier: T1
                  - name: delete
                    condition: "action == 'delete'"
                    effect: deny
                    reason: never
                """);
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        Decision big1 = compiled.decide(PolicyRequest.builder("refund").arg("amount", 5_000).build());
        Decision big2 = compiled.decide(PolicyRequest.builder("refund").arg("amount", 2_000).build());
        Decision small = compiled.decide(PolicyRequest.builder("refund").arg("amount", 10).build());
        Decision delete = compiled.decide(PolicyRequest.builder("delete").build());
        assertSame(big1, big2);
        assertEquals(List.of("big-refund", "any-refund"), big2.matchedRules());
        assertEquals(Tier.T2, big2.tier());
        assertEquals(List.of("any-refund"), small.matchedRules());
        assertEquals(Tier.T1, small.tier());
        assertEquals(Effect.DENY, delete.effect());
        assertEquals(Map.of("delete", "never"), delete.denyReasons());
    }

    @Test
    void threadsDecidingAtOnceEachGetTheirCallsDecision() throws Exception {
        PolicySet set = PolicyLoader.parse("ten-actions.yaml", ActionRulesTest.policy(10, 5, 1));
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        List<PolicyRequest> calls = ActionRulesTest.calls(10, 2_000, 99L);
        List<Decision> expected = calls.stream().map(reference::decide).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            Set<String> wrong = ConcurrentHashMap.newKeySet();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t * 500;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int pass = 0; pass < 5; pass++) {
                        for (int k = 0; k < calls.size(); k++) {
                            int i = (k + offset) % calls.size();
                            if (!expected.get(i).equals(compiled.decide(calls.get(i)))) wrong.add(calls.get(i).toString());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get();
            assertTrue(wrong.isEmpty(), wrong.toString());
        } finally {
            pool.shutdownNow();
        }
    }
}
