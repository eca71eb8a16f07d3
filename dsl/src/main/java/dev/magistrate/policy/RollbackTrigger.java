package dev.magistrate.policy;

import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.Glob;

import java.time.Duration;

/**
 * One entry of a policy's {@code rollbacks:} list, as loaded and checked: when the compensating action a tool declares
 * ({@code @GovernedAction(rollback = ...)}) runs after a call of {@code action}.
 *
 * @param action        the original call's action, a glob like {@code scale_*}
 * @param conditionText the condition as written, or null for {@code when: failed} (the call's body threw)
 * @param condition     the checked condition over signals and the original call, or null for {@code when: failed}
 * @param within        how long after a call that succeeded the condition is watched; null for {@code when: failed}
 * @param location      where the entry starts, for messages
 */
public record RollbackTrigger(String action, String conditionText, Expr condition, Duration within, SourceLocation location) {

    /** What {@code when} says for a rollback on failure. */
    public static final String FAILED = "failed";

    /** Runs when the call threw, rather than on a condition watched after it succeeded. */
    public boolean onFailure() {
        return condition == null;
    }

    public boolean appliesTo(String calledAction) {
        return new Glob(action).matches(calledAction);
    }

    /** {@code failed}, or the condition as written: what the audit trail names as the trigger. */
    public String when() {
        return onFailure() ? FAILED : conditionText;
    }
}
