package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Outcome;
import dev.magistrate.benchmarks.policy.RuleSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What an application builds around an expression library when it has no policy engine: the rules
 * indexed by action (the same index Magistrate's compiled class has), each condition compiled once
 * by the library, and Magistrate's combination (deny wins, highest tier decides, nothing matched
 * is T1). Only the evaluation of conditions differs between JEXL and MVEL.
 *
 * @param <E> the library's compiled expression
 */
final class ConditionRules<E> {

    interface Evaluator<E> {
        boolean holds(E expression, Object context);
    }

    private record Compiled<E>(boolean deny, int tier, E expression) { }

    private final Map<String, Compiled<E>[]> byAction = new HashMap<>();
    private final Evaluator<E> evaluator;

    @SuppressWarnings("unchecked")
    ConditionRules(List<RuleSpec> rules, Function<RuleSpec, E> compiler, Evaluator<E> evaluator) {
        this.evaluator = evaluator;
        Map<String, List<Compiled<E>>> lists = new HashMap<>();
        for (RuleSpec rule : rules) {
            lists.computeIfAbsent(rule.action(), a -> new ArrayList<>())
                    .add(new Compiled<>(rule.kind() == Outcome.DENY, rule.tier(), compiler.apply(rule)));
        }
        lists.forEach((action, list) -> byAction.put(action, list.toArray(new Compiled[0])));
    }

    Outcome decide(String action, Object context) {
        Compiled<E>[] rules = byAction.get(action);
        if (rules == null) return Outcome.APPROVE;
        boolean deny = false;
        int highest = -1;
        for (Compiled<E> rule : rules) {
            if (evaluator.holds(rule.expression, context)) {
                deny |= rule.deny;
                highest = Math.max(highest, rule.tier);
            }
        }
        return Outcome.combine(deny, highest);
    }
}
