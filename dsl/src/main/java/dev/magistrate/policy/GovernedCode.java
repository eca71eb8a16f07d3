package dev.magistrate.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link PolicyLint} knows of the code a policy governs: each action name with the methods whose calls are
 * decided as that action, each with its parameters as a policy sees them ({@code args.NAME}) and their Java types.
 * Whoever can see the code builds it: the command line from a scanned class path ({@code complete}: an action
 * missing here has no method), the agent as it instruments classes one by one (not complete: more may load later).
 */
public record GovernedCode(Map<String, List<Method>> methodsByAction, boolean complete) {

    /** How the policy language compares a parameter's values (docs/policy-language.md, "Values, types ..."). */
    public enum ValueKind {
        /** Primitive numbers, their boxes, BigInteger, BigDecimal, any Number. */
        NUMBER,
        /** {@code boolean} and {@code Boolean}. */
        BOOLEAN,
        /** String, char, Character, any CharSequence: text that may hold a number or a boolean. */
        TEXT,
        /** An enum: text by its constant's name, so never a number and never a boolean. */
        ENUM,
        /** Anything else (lists, records, maps, durations, ...): not checked. */
        OTHER
    }

    public record Parameter(String name, String javaType, ValueKind kind) {
    }

    /** @param where {@code com.acme.Tools#scale}, for messages */
    public record Method(String where, List<Parameter> parameters) {
        public Method {
            parameters = List.copyOf(parameters);
        }
    }

    public GovernedCode {
        Map<String, List<Method>> copy = new LinkedHashMap<>();
        methodsByAction.forEach((a, ms) -> copy.put(a, List.copyOf(ms)));
        methodsByAction = java.util.Collections.unmodifiableMap(copy);
    }

    public Set<String> actions() {
        return methodsByAction.keySet();
    }

    public List<Method> methods(String action) {
        return methodsByAction.getOrDefault(action, List.of());
    }

    /** The kind of a Java type by its name ({@code int}, {@code java.lang.String}); an enum is known only to a scanner. */
    public static ValueKind kindOf(String javaType) {
        return switch (javaType) {
            case "byte", "short", "int", "long", "float", "double", "java.lang.Byte", "java.lang.Short", "java.lang.Integer",
                 "java.lang.Long", "java.lang.Float", "java.lang.Double", "java.math.BigInteger", "java.math.BigDecimal",
                 "java.lang.Number" -> ValueKind.NUMBER;
            case "boolean", "java.lang.Boolean" -> ValueKind.BOOLEAN;
            case "char", "java.lang.Character", "java.lang.String", "java.lang.CharSequence" -> ValueKind.TEXT;
            default -> ValueKind.OTHER;
        };
    }

    /** Collects methods action by action, in the order they are added. */
    public static final class Builder {
        private final Map<String, List<Method>> byAction = new LinkedHashMap<>();

        public Builder add(String action, Method method) {
            byAction.computeIfAbsent(action, a -> new ArrayList<>()).add(method);
            return this;
        }

        public GovernedCode build(boolean complete) {
            return new GovernedCode(byAction, complete);
        }
    }
}
