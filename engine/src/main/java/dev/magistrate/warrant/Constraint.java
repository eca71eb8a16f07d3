package dev.magistrate.warrant;

import dev.magistrate.canonical.CanonicalJson;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A limit an approver attached to an approval, carried in the warrant and checked against the call
 * that runs: {@code max} / {@code min} bound a numeric argument (inclusive), {@code one_of} lists the
 * values an argument may take (compared as text; enums by name).
 */
public record Constraint(String argument, Op op, BigDecimal bound, List<String> allowed) {

    public enum Op {
        MAX("max"), MIN("min"), ONE_OF("one_of");

        private final String wireName;

        Op(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static Op fromWireName(String s) {
            for (Op op : values()) if (op.wireName.equals(s)) return op;
            throw new IllegalArgumentException("unknown constraint op '" + s + "' (known: max, min, one_of)");
        }
    }

    public Constraint {
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(op, "op");
        if (op == Op.ONE_OF) {
            allowed = List.copyOf(Objects.requireNonNull(allowed, "allowed"));
            if (bound != null) throw new IllegalArgumentException("one_of takes a list, not a bound");
        } else {
            Objects.requireNonNull(bound, "bound");
            // One representation per value, so that equal constraints sign to equal bytes.
            bound = new BigDecimal(CanonicalJson.canonicalNumber(bound));
            if (allowed != null) throw new IllegalArgumentException(op.wireName + " takes a bound, not a list");
        }
    }

    public static Constraint max(String argument, Number bound) {
        return new Constraint(argument, Op.MAX, new BigDecimal(CanonicalJson.canonicalNumber(bound)), null);
    }

    public static Constraint min(String argument, Number bound) {
        return new Constraint(argument, Op.MIN, new BigDecimal(CanonicalJson.canonicalNumber(bound)), null);
    }

    public static Constraint oneOf(String argument, List<String> allowed) {
        return new Constraint(argument, Op.ONE_OF, null, allowed);
    }

    /** Why these arguments break this constraint ({@code 'instances' is 40, more than 25}), or empty when they keep it. */
    public Optional<String> violation(Map<String, ?> args) {
        if (!args.containsKey(argument)) return Optional.of("'" + argument + "' is missing");
        Object value = args.get(argument);
        if (op == Op.ONE_OF) {
            String text = value instanceof Enum<?> e ? e.name() : String.valueOf(value);
            return allowed.contains(text) ? Optional.empty()
                    : Optional.of("'" + argument + "' is " + text + ", not one of " + allowed);
        }
        BigDecimal actual;
        try {
            actual = value instanceof Number n ? new BigDecimal(CanonicalJson.canonicalNumber(n))
                    : value instanceof CharSequence cs ? new BigDecimal(cs.toString().trim()) : null;
        } catch (NumberFormatException e) {
            actual = null;
        }
        if (actual == null) return Optional.of("'" + argument + "' is not a number");
        int cmp = actual.compareTo(bound);
        boolean ok = op == Op.MAX ? cmp <= 0 : cmp >= 0;
        return ok ? Optional.empty()
                : Optional.of("'" + argument + "' is " + actual.toPlainString() + (op == Op.MAX ? ", more than " : ", less than ") + bound.toPlainString());
    }

    /** Readable by a person or a model: {@code instances <= 25}. */
    public String describe() {
        return switch (op) {
            case MAX -> argument + " <= " + bound.toPlainString();
            case MIN -> argument + " >= " + bound.toPlainString();
            case ONE_OF -> argument + " in " + allowed;
        };
    }

    /** The JSON object form, as signed: {@code {"argument":..,"op":..,"value":..}}. */
    Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("argument", argument);
        m.put("op", op.wireName());
        m.put("value", op == Op.ONE_OF ? allowed : bound);
        return m;
    }

    @Override
    public String toString() {
        return describe();
    }
}
