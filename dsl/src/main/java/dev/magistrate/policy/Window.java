package dev.magistrate.policy;

import dev.magistrate.policy.internal.Durations;
import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.Glob;
import dev.magistrate.policy.internal.Interpreter;
import dev.magistrate.policy.internal.Values;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A sliding window a condition reads: {@code count([glob,] window)}, {@code count_all(...)}, {@code count_fleet(...)},
 * {@code sum(expr, [glob,] window)}, {@code sum_all(...)} or {@code sum_fleet(...)}. The engine keeps one counter per
 * {@link #definition()}: two rules (or two versions of a policy) that write the same window share it.
 * What one call adds ({@link #contribution}) is computed from the call alone, at decision time, so
 * the audit trail can record it and a restart can rebuild the counter without the policy.
 */
public final class Window {

    /** Buckets per window: a window of 1h moves in steps of one minute. */
    public static final int BUCKETS = 60;
    /** Sums are kept as whole millionths: exact for amounts with up to six decimals; finer amounts round up. */
    public static final int SCALE = 6;
    private static final long UNIT = 1_000_000;

    public enum Kind { COUNT, SUM }

    /**
     * {@code AGENT}: the calling agent's own calls; {@code ALL}: every agent's calls in this JVM; {@code FLEET}: every
     * agent's calls across the fleet, a counter only the fleet service keeps (docs/fleet.md).
     */
    public enum Scope {
        AGENT(""), ALL("_all"), FLEET("_fleet");

        private final String suffix;

        Scope(String suffix) {
            this.suffix = suffix;
        }

        /** The function name's ending for this scope: {@code count_fleet} is {@code count} + {@code _fleet}. */
        public String suffix() {
            return suffix;
        }
    }

    private static final Interpreter ARITHMETIC = new Interpreter(ZoneOffset.UTC); // sums read only cost and args

    private final Kind kind;
    private final Scope scope;
    private final Glob actions;
    private final Duration length;
    private final Expr summed;
    private final String definition;

    /** {@code actions} null counts every action; {@code summed} is null for a count and a checked numeric expression for a sum. */
    public Window(Kind kind, Scope scope, Glob actions, Duration length, Expr summed) {
        this.kind = Objects.requireNonNull(kind);
        this.scope = Objects.requireNonNull(scope);
        this.actions = actions;
        this.length = Objects.requireNonNull(length);
        this.summed = summed;
        if ((kind == Kind.SUM) != (summed != null)) throw new IllegalArgumentException("a sum has an expression, a count has none");
        StringBuilder sb = new StringBuilder(kind == Kind.COUNT ? "count" : "sum").append(scope.suffix()).append('(');
        if (summed != null) sb.append(text(summed, true)).append(", ");
        if (actions != null) sb.append('\'').append(actions.pattern()).append("', ");
        this.definition = sb.append(Durations.format(length)).append(')').toString();
    }

    public Kind kind() {
        return kind;
    }

    public Scope scope() {
        return scope;
    }

    public Duration length() {
        return length;
    }

    /** The length as policies write it, e.g. {@code 1h30m}. */
    public String lengthText() {
        return Durations.format(length);
    }

    /** The width of one bucket: 1/{@link #BUCKETS} of the window, at least one millisecond. */
    public long bucketMillis() {
        return Math.max(1, length.toMillis() / BUCKETS);
    }

    /** The canonical text of this window, e.g. {@code sum(args.instances, 'scale_*', 1h)}: its identity. */
    public String definition() {
        return definition;
    }

    /** The action pattern of the counted calls, or null when every action counts. */
    Glob actionPattern() {
        return actions;
    }

    /** What a sum adds up (a checked numeric expression over the counted call), or null for a count. */
    Expr summed() {
        return summed;
    }

    /** Whether a call of this action adds to the window. */
    public boolean counts(String action) {
        return actions == null || (action != null && actions.matches(action));
    }

    /**
     * What a call adds, in millionths ({@link #SCALE}): one call for a count, the summed expression for a sum
     * (rounded up), or 0 when the call's action is not counted or the expression has no numeric value for it.
     */
    public long contribution(PolicyInput call) {
        if (!counts(call.action())) return 0;
        if (kind == Kind.COUNT) return UNIT;
        Object v = Values.number(ARITHMETIC.eval(summed, call));
        if (v == null) return 0;
        BigDecimal d = v instanceof BigDecimal bd ? bd : BigDecimal.valueOf((Long) v);
        BigDecimal scaled = d.movePointRight(SCALE).setScale(0, RoundingMode.CEILING);
        if (scaled.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) return Long.MAX_VALUE;
        if (scaled.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) < 0) return Long.MIN_VALUE;
        return scaled.longValue();
    }

    /** A total in millionths as the value a condition sees: a Long when whole, else an exact BigDecimal. */
    public static Object value(long millionths) {
        if (millionths % UNIT == 0) return millionths / UNIT; // counts and whole sums: no decimal arithmetic on the decision path
        BigDecimal d = BigDecimal.valueOf(millionths, SCALE).stripTrailingZeros();
        return d.scale() <= 0 ? (Object) d.longValue() : d;
    }

    /** The windows a policy set's rules read, each once, in rule order. */
    public static List<Window> in(PolicySet set) {
        Set<Window> out = new LinkedHashSet<>();
        for (Rule r : set.rules()) {
            if (r.condition() != null) collect(r.condition(), out);
        }
        return List.copyOf(out);
    }

    /**
     * Refuses a policy set with a rule that reads a window of this scope where it cannot be kept: one error per such rule,
     * at the rule, naming the window and {@code why} (e.g. "only the fleet service keeps fleet-wide counters").
     *
     * @throws PolicyException when a rule reads such a window
     */
    public static void refuseScope(PolicySet set, Scope scope, String why) {
        List<PolicyError> errors = new java.util.ArrayList<>();
        for (Rule r : set.rules()) {
            if (r.condition() == null) continue;
            for (Window w : in(r.condition())) {
                if (w.scope != scope) continue;
                errors.add(new PolicyError(r.location(), "rule '" + r.name() + "' reads " + w.definition + ": " + why, null));
                break;
            }
        }
        if (!errors.isEmpty()) throw new PolicyException(errors);
    }

    /** The windows a condition reads, each once, in order of first use. */
    public static List<Window> in(Expr condition) {
        Set<Window> out = new LinkedHashSet<>();
        collect(condition, out);
        return List.copyOf(out);
    }

    private static void collect(Expr e, Set<Window> out) {
        if (e instanceof Expr.Window w) out.add(w.window());
        else if (e instanceof Expr.Binary b) {
            collect(b.left(), out);
            collect(b.right(), out);
        } else if (e instanceof Expr.Unary u) collect(u.operand(), out);
        else if (e instanceof Expr.Matches m) collect(m.left(), out);
        else if (e instanceof Expr.Call c) c.args().forEach(a -> collect(a, out));
        else if (e instanceof Expr.ListExpr l) l.items().forEach(i -> collect(i, out));
    }

    /** The summed expression as canonical text: names by their keys, every operation in parentheses. */
    private static String text(Expr e, boolean top) {
        if (e instanceof Expr.Attr a) return a.attribute().key();
        if (e instanceof Expr.Literal lit) return lit.value() instanceof BigDecimal d ? d.toPlainString() : String.valueOf(lit.value());
        if (e instanceof Expr.Unary u) return "-" + text(u.operand(), false);
        if (e instanceof Expr.Call c) return c.function() + "(" + text(c.args().get(0), true) + ")";
        if (e instanceof Expr.Binary b) {
            String s = text(b.left(), false) + " " + b.op().symbol + " " + text(b.right(), false);
            return top ? s : "(" + s + ")";
        }
        throw new IllegalArgumentException("not a summable expression: " + e);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Window w && w.definition.equals(definition);
    }

    @Override
    public int hashCode() {
        return definition.hashCode();
    }

    @Override
    public String toString() {
        return definition;
    }
}
