package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

import static dev.magistrate.policy.ErrorMessageTest.assertError;
import static dev.magistrate.policy.ErrorMessageTest.errors;
import static dev.magistrate.policy.ErrorMessageTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A policy's {@code rollbacks:}: loaded with every mistake located, conditions compiled like rule conditions. */
class RollbacksTest {

    private static final String RULES = "policies:\n  - name: any\n    condition: \"true\"\n    risk_tier: T0\n";

    @Test
    void failedAndSignalTriggersLoadAndTheConditionIsCompiledAndEvaluated() {
        PolicySet set = PolicyLoader.parse("ops.yaml", RULES + """
                rollbacks:
                  - action: scale_*
                    when: failed
                  - action: scale_service
                    when: "signal.error_rate > 0.05 and args.instances > 10"
                    within: 10m
                """);
        assertEquals(2, set.rollbacks().size());
        RollbackTrigger failed = set.rollbacks().get(0), watched = set.rollbacks().get(1);
        assertTrue(failed.onFailure());
        assertEquals("failed", failed.when());
        assertNull(failed.within());
        assertTrue(failed.appliesTo("scale_service"));
        assertFalse(failed.appliesTo("delete_service"));
        assertEquals(Duration.ofMinutes(10), watched.within());
        assertEquals(new SourceLocation("ops.yaml", 8, 5), watched.location());

        List<Rollback> compiled = PolicyCompiler.compile(set).rollbacks();
        assertEquals(2, compiled.size());
        assertFalse(compiled.get(0).holds(call(25, new BigDecimal("0.5"))), "a failed trigger has no condition to hold");
        Rollback r = compiled.get(1);
        assertTrue(r.holds(call(25, new BigDecimal("0.07"))));
        assertFalse(r.holds(call(25, new BigDecimal("0.05"))), "at the threshold, not over it");
        assertFalse(r.holds(call(5, new BigDecimal("0.07"))), "the original call's arguments count too");
        assertFalse(r.holds(call(25, null)), "a missing signal does not cross anything");
    }

    @Test
    void aPolicyWithoutRollbacksHasNone() {
        assertTrue(PolicyCompiler.compile(PolicyLoader.parse("ops.yaml", RULES)).rollbacks().isEmpty());
    }

    private static PolicyInput call(long instances, BigDecimal errorRate) {
        PolicyRequest base = PolicyRequest.builder("scale_service").arg("instances", instances).build();
        int slot = SignalSlots.of("error_rate");
        return new PolicyInput() {
            @Override public String action() { return base.action(); }
            @Override public String resource() { return null; }
            @Override public String agent() { return "agent"; }
            @Override public String justification() { return null; }
            @Override public String urgency() { return null; }
            @Override public Object cost() { return null; }
            @Override public java.time.Instant time() { return base.time(); }
            @Override public Object argument(String name) { return base.argument(name); }
            @Override public Object signal(int s) { return s == slot ? errorRate : null; }
        };
    }

    @Test
    void eachBadFieldIsReportedAtItsLineAndColumn() {
        assertError(only(RULES + "rollbacks: 3\n"), 5, 12, "'rollbacks' is a list");
        assertError(only(RULES + "rollbacks:\n  - failed\n"), 6, 5, "each rollback is a mapping");
        assertError(only(RULES + "rollbacks:\n  - action: a\n    when: failed\n    whne: x\n"), 8, 5, "unknown rollback key 'whne'");
        assertError(only(RULES + "rollbacks:\n  - when: failed\n"), 6, 5, "missing 'action'");
        assertError(only(RULES + "rollbacks:\n  - action: \"scale service\"\n    when: failed\n"), 6, 19, "' ' cannot be part of an action name");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n"), 6, 5, "missing 'when'");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: 3\n"), 7, 11, "'when' is failed, or a condition");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: \"signal.error_rate >\"\n    within: 5m\n"), 7, 31, "condition ends where a value was expected");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: \"signal.eror_rate > 1 and agnet == 'x'\"\n    within: 5m\n"),
                7, 37, "unknown name 'agnet'");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: \"count('scale', 1h) > 3\"\n    within: 5m\n"), 7, 11,
                "cannot read count() or sum()");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: \"signal.error_rate > 0.05\"\n"), 6, 5, "missing 'within'");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: \"signal.error_rate > 0.05\"\n    within: soon\n"), 8, 13,
                "'within' is a duration");
        assertError(only(RULES + "rollbacks:\n  - action: scale\n    when: failed\n    within: 5m\n"), 8, 5,
                "'within' has no meaning with when: failed");
    }

    @Test
    void everyMistakeIsReportedAtOnceAndNothingLoads() {
        assertEquals(3, errors(RULES + "rollbacks:\n  - action: a b\n    when: failed\n  - action: b\n  - action: c\n    when: failed\n"
                + "    within: 1m\n").size());
    }

    @Test
    void theDocumentedExampleLoadsAndRollsBackAsItsProseSays() throws Exception {
        PolicySet set = PolicyLoader.parse("doc.yaml", DynamicRiskDocsTest.snippet("Rollbacks"));
        assertEquals(List.of("failed", "signal.error_rate > 0.05 and args.instances > 10"), set.rollbacks().stream().map(RollbackTrigger::when).toList());
        assertEquals(Duration.ofMinutes(10), set.rollbacks().get(1).within());
        CompiledPolicy p = PolicyCompiler.compile(set);
        assertTrue(p.rollbacks().get(1).holds(call(25, new BigDecimal("0.07"))));
        assertEquals(Tier.T1, p.decide(PolicyRequest.builder("scale_back").build()).tier(), "the rollback itself needs a person");
    }
}
