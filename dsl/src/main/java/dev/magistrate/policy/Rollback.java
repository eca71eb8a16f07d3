package dev.magistrate.policy;

import java.util.List;

/**
 * A {@link RollbackTrigger} ready to be watched: its condition compiled like a rule's condition (a one-rule policy class of
 * its own, so no policy text reaches generated source) and evaluated on the engine's input for the original call.
 */
public final class Rollback {

    private static final String RULE = "rollback condition";

    private final RollbackTrigger trigger;
    private final CompiledPolicy condition;

    private Rollback(RollbackTrigger trigger, CompiledPolicy condition) {
        this.trigger = trigger;
        this.condition = condition;
    }

    /** Compiles the condition of each trigger of {@code set} (a {@code failed} trigger has none). */
    static List<Rollback> compile(PolicySet set) {
        return set.rollbacks().stream().map(t -> new Rollback(t, t.onFailure() ? null : PolicyCompiler.compile(new PolicySet(
                List.of(new Rule(RULE, null, t.conditionText(), t.condition(), Tier.T0, Effect.ALLOW, null, null, List.of(), null, null,
                        null, t.location())), PolicySet.IMPLICIT_DEFAULT, set.zone(), set.version(), set.fileVersions(), null, List.of())))).toList();
    }

    public RollbackTrigger trigger() {
        return trigger;
    }

    /** Whether the condition holds for this input (the original call, the signals now); false for a {@code failed} trigger. */
    public boolean holds(PolicyInput in) {
        return condition != null && condition.decide(in).matchedRules().contains(RULE);
    }

    @Override
    public String toString() {
        return "rollback of " + trigger.action() + " when " + trigger.when() + (trigger.within() == null ? "" : " within " + trigger.within());
    }
}
