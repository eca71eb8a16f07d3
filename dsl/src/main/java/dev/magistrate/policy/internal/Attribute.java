package dev.magistrate.policy.internal;

import java.util.List;
import java.util.Locale;

/**
 * An attribute a condition reads: one of the built-in names, an argument path, or a signal
 * ({@code signal.NAME}, whose path is its one name). Two attributes with the same {@link #key()} are
 * the same slot, fetched at most once per evaluation.
 */
public record Attribute(Kind kind, List<String> argPath) {

    public enum Kind { ACTION, RESOURCE, AGENT, JUSTIFICATION, URGENCY, COST, TIME_HOUR, TIME_WEEKDAY, ARG,
        /** A value the application publishes ({@code signal.NAME}). */
        SIGNAL,
        /** The engine's count of this agent's consecutive denied calls ({@code agent.denials_in_a_row}). */
        DENIALS_IN_A_ROW }

    public Attribute {
        argPath = List.copyOf(argPath);
        if ((kind == Kind.ARG || kind == Kind.SIGNAL) == argPath.isEmpty()) throw new IllegalArgumentException("argPath goes with ARG and SIGNAL only");
        if (kind == Kind.SIGNAL && argPath.size() != 1) throw new IllegalArgumentException("a signal has one name");
    }

    public static Attribute builtIn(Kind kind) {
        return new Attribute(kind, List.of());
    }

    public static Attribute arg(List<String> path) {
        return new Attribute(Kind.ARG, path);
    }

    public static Attribute signal(String name) {
        return new Attribute(Kind.SIGNAL, List.of(name));
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
            case SIGNAL -> "signal." + argPath.get(0);
            case DENIALS_IN_A_ROW -> "agent.denials_in_a_row";
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }

    @Override
    public String toString() {
        return key();
    }
}
