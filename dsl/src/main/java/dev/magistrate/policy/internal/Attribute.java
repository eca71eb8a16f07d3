package dev.magistrate.policy.internal;

import java.util.List;
import java.util.Locale;

/**
 * An attribute a condition reads: one of the built-in names or an argument path. Two attributes
 * with the same {@link #key()} are the same slot, fetched at most once per evaluation.
 */
public record Attribute(Kind kind, List<String> argPath) {

    public enum Kind { ACTION, RESOURCE, AGENT, JUSTIFICATION, URGENCY, COST, TIME_HOUR, TIME_WEEKDAY, ARG }

    public Attribute {
        argPath = List.copyOf(argPath);
        if ((kind == Kind.ARG) == argPath.isEmpty()) throw new IllegalArgumentException("argPath goes with ARG only");
    }

    public static Attribute builtIn(Kind kind) {
        return new Attribute(kind, List.of());
    }

    public static Attribute arg(List<String> path) {
        return new Attribute(Kind.ARG, path);
    }

    /** The enclosing argument for a nested path ({@code args.order} for {@code args.order.amount}), else null. */
    public Attribute parent() {
        return kind == Kind.ARG && argPath.size() > 1 ? arg(argPath.subList(0, argPath.size() - 1)) : null;
    }

    public String key() {
        return switch (kind) {
            case ARG -> "args." + String.join(".", argPath);
            case TIME_HOUR -> "time.hour";
            case TIME_WEEKDAY -> "time.weekday";
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }

    @Override
    public String toString() {
        return key();
    }
}
