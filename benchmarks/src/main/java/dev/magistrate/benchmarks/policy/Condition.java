package dev.magistrate.benchmarks.policy;

import java.util.List;

/** One conjunct of a rule's condition, besides the action test every rule starts with. */
public sealed interface Condition {

    /** {@code amount > limit}: a numeric threshold. */
    record AmountAbove(long limit) implements Condition { }

    /** {@code amount <= limit}. */
    record AmountAtMost(long limit) implements Condition { }

    /** {@code role in [...]}: a role check. */
    record RoleIn(List<String> roles) implements Condition { }

    /** {@code environment == value}: a resource-environment check. */
    record EnvironmentIs(String environment) implements Condition { }

    /** {@code resource startsWith prefix}: a resource check. */
    record ResourceStartsWith(String prefix) implements Condition { }
}
