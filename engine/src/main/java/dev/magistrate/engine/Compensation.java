package dev.magistrate.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A tool's compensating method ({@code @GovernedAction(rollback = "...")}), as an adapter found it when the tool's class was
 * instrumented or its bean proxied: run by {@link Rollbacks} on the same object, as a governed call of its own.
 *
 * @param action         the compensating action
 * @param method         its Java name
 * @param parameterTypes its parameters' erased type names, to find it on the target by reflection
 * @param bindings       for each of its parameters, the name of the original call's argument it receives, or {@link #RESULT}
 * @param problem        why it cannot run (no such method, a parameter that cannot be bound), or null: reported by the adapter
 *                       when found, and audited (nothing runs) if the rollback is triggered anyway
 */
public record Compensation(String action, String method, List<String> parameterTypes, List<String> bindings, String problem) {

    /** The parameter name that receives the original call's result. */
    public static final String RESULT = "result";

    public Compensation {
        parameterTypes = List.copyOf(parameterTypes);
        bindings = List.copyOf(bindings);
    }

    /** One governed method of the tool's class, as the adapter sees it. */
    public record Candidate(String method, boolean isStatic, List<String> parameterNames, List<String> parameterTypes) {
    }

    /**
     * Binds the compensating method for a tool: {@code candidates} are the governed methods of the tool's class whose action
     * is {@code action}. Each of its parameters receives the original argument of the same name (of the same type, or a
     * boxed or {@code Object} form of it), or, when named {@link #RESULT}, the original call's result.
     */
    public static Compensation bind(String action, String originalMethod, boolean originalStatic, String[] originalNames,
                                    String[] originalTypes, String originalReturnType, List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            return broken(action, "no @GovernedAction method of the same class has the action '" + action + "'");
        }
        if (candidates.size() > 1) {
            return broken(action, candidates.size() + " methods of the class have the action '" + action + "': give the rollback one of its own");
        }
        Candidate c = candidates.get(0);
        if (originalStatic || c.isStatic()) {
            return broken(action, "a rollback runs on the same object as the call it compensates, so neither " + originalMethod + " nor "
                    + c.method() + " can be static");
        }
        List<String> bindings = new ArrayList<>();
        List<String> names = Arrays.asList(originalNames);
        for (int i = 0; i < c.parameterNames().size(); i++) {
            String name = c.parameterNames().get(i), type = c.parameterTypes().get(i);
            int original = names.indexOf(name);
            if (name.equals(RESULT) && original >= 0) {
                return broken(action, c.method() + "'s parameter 'result' is ambiguous: " + originalMethod + " has an argument of that name too");
            }
            String from = name.equals(RESULT) ? originalReturnType : original >= 0 ? originalTypes[original] : null;
            if (from == null) {
                return broken(action, c.method() + "'s parameter '" + name + "' is bound to nothing: " + originalMethod + " has no argument of"
                        + " that name (it has " + names + "), and only a parameter named 'result' receives its result");
            }
            if (name.equals(RESULT) && from.equals("void")) {
                return broken(action, c.method() + " takes the result of " + originalMethod + ", which returns nothing");
            }
            if (!fits(from, type)) {
                return broken(action, c.method() + "'s parameter '" + name + "' is a " + type + ", and " + originalMethod + " gives it a " + from);
            }
            bindings.add(name);
        }
        return new Compensation(action, c.method(), c.parameterTypes(), bindings, null);
    }

    private static Compensation broken(String action, String problem) {
        return new Compensation(action, null, List.of(), List.of(), problem);
    }

    private static final Map<String, String> BOXES = Map.of("boolean", "java.lang.Boolean", "byte", "java.lang.Byte", "short",
            "java.lang.Short", "char", "java.lang.Character", "int", "java.lang.Integer", "long", "java.lang.Long", "float",
            "java.lang.Float", "double", "java.lang.Double");

    private static boolean fits(String from, String to) {
        return from.equals(to) || to.equals("java.lang.Object") || BOXES.getOrDefault(from, from).equals(BOXES.getOrDefault(to, to));
    }
}
