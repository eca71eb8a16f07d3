package dev.magistrate.policy;

import dev.magistrate.policy.internal.Checker;
import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.ExpressionError;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A plain {@link PolicyInput} for tools and tests that decide without an engine intent
 * ({@code policy eval}, policy test files). Build one with {@link #builder(String)}.
 *
 * <p>The state the engine keeps is given, not kept: signal values by name, the agent's denial streak, and
 * the totals of sliding windows by their text ({@code count('scale_*', 1h)}, canonical: {@code 60m} is {@code 1h}). A
 * value the policy reads that was not given is missing: a signal or streak is then an absent attribute,
 * a window fails the decision closed, as it would without the engine's state ({@link #windowsNotGiven}
 * says which).
 */
public final class PolicyRequest implements PolicyInput {

    private final String action;
    private final String resource;
    private final String agent;
    private final String justification;
    private final String urgency;
    private final Object cost;
    private final Instant time;
    /** Read by {@link #argument} directly: the generated policy's lookups then inline one map's {@code get}, not a wrapper's. */
    private final LinkedHashMap<String, Object> argumentsByName;
    private final Map<String, Object> arguments;
    private final Map<String, Number> signals;
    private final Number denialsInARow;
    private final Map<String, Number> windowTotals;

    public PolicyRequest(String action, String resource, String agent, String justification, String urgency,
                         Object cost, Instant time, Map<String, Object> arguments,
                         Map<String, Number> signals, Number denialsInARow, Map<String, Number> windowTotals) {
        this.action = action;
        this.resource = resource;
        this.agent = agent;
        this.justification = justification;
        this.urgency = urgency;
        this.cost = cost;
        this.time = time;
        this.argumentsByName = new LinkedHashMap<>(arguments);
        this.arguments = Collections.unmodifiableMap(argumentsByName);
        this.signals = Map.copyOf(signals);
        this.denialsInARow = denialsInARow;
        this.windowTotals = Collections.unmodifiableMap(new LinkedHashMap<>(windowTotals)); // keyed by canonical text (the builder's)
    }

    @Override public String action() { return action; }

    @Override public String resource() { return resource; }

    @Override public String agent() { return agent; }

    @Override public String justification() { return justification; }

    @Override public String urgency() { return urgency; }

    @Override public Object cost() { return cost; }

    @Override public Instant time() { return time; }

    /** The arguments in the order they were given; unmodifiable. */
    public Map<String, Object> arguments() { return arguments; }

    /** Signal values by name; unmodifiable. */
    public Map<String, Number> signals() { return signals; }

    @Override public Number denialsInARow() { return denialsInARow; }

    /** Window totals by canonical window text; unmodifiable. */
    public Map<String, Number> windowTotals() { return windowTotals; }

    @Override
    public Object argument(String name) {
        return argumentsByName.get(name);
    }

    @Override
    public String toString() {
        return "PolicyRequest[action=" + action + ", resource=" + resource + ", agent=" + agent + ", arguments=" + arguments + "]";
    }

    @Override
    public Object signal(int slot) {
        return signals.get(SignalSlots.name(slot));
    }

    @Override
    public Object window(Window window) {
        Number total = windowTotals.get(window.definition());
        if (total == null) throw new IllegalStateException("no total given for the window " + window.definition());
        return total;
    }

    /** The windows of this policy that the request gives no total for. */
    public List<Window> windowsNotGiven(CompiledPolicy policy) {
        List<Window> out = new ArrayList<>();
        for (Window w : policy.windows()) if (!windowTotals.containsKey(w.definition())) out.add(w);
        return out;
    }

    /** The window totals given that no window of this policy has: a typo, or a window the policy no longer reads. */
    public List<String> windowsNotRead(CompiledPolicy policy) {
        Set<String> read = new HashSet<>();
        for (Window w : policy.windows()) read.add(w.definition());
        List<String> out = new ArrayList<>();
        for (String k : windowTotals.keySet()) if (!read.contains(k)) out.add(k);
        return out;
    }

    /** A window's identity, its canonical text: {@code sum( cost , 1d)} is {@code sum(cost, 24h)}. */
    private static String key(String windowText) {
        Expr checked;
        try {
            // Parsed and checked only, as a comparison so that the checker accepts it; never compiled.
            checked = Checker.parseAndCheck("(" + windowText + ") >= 0");
        } catch (ExpressionError e) {
            throw new IllegalArgumentException("'" + windowText + "' is not a window: " + e.getMessage());
        }
        if (checked instanceof Expr.Binary b && b.left() instanceof Expr.Window w) return w.window().definition();
        throw new IllegalArgumentException("'" + windowText + "' is not one window: write it as the policy does, e.g. count('scale_*', 1h)");
    }

    public static Builder builder(String action) {
        return new Builder(action);
    }

    public static final class Builder {
        private final String action;
        private String resource;
        private String agent;
        private String justification;
        private String urgency;
        private Object cost;
        private Instant time = Instant.now();
        private final Map<String, Object> arguments = new LinkedHashMap<>();
        private final Map<String, Number> signals = new LinkedHashMap<>();
        private Number denialsInARow;
        private final Map<String, Number> windowTotals = new LinkedHashMap<>();

        private Builder(String action) {
            this.action = action;
        }

        public Builder resource(String v) { resource = v; return this; }

        public Builder agent(String v) { agent = v; return this; }

        public Builder justification(String v) { justification = v; return this; }

        public Builder urgency(String v) { urgency = v; return this; }

        public Builder cost(Object v) { cost = v; return this; }

        public Builder time(Instant v) { time = v; return this; }

        public Builder arg(String name, Object value) { arguments.put(name, value); return this; }

        /**
         * The value of {@code signal.NAME}.
         *
         * @throws IllegalArgumentException a name the DSL could not read after {@code signal.}
         */
        public Builder signal(String name, Number value) {
            if (name == null || !SignalSlots.NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not a signal name (a letter or _, then letters, digits or _, at most 64)");
            }
            signals.put(name, value);
            return this;
        }

        /** The value of {@code agent.denials_in_a_row}. */
        public Builder denialsInARow(Number v) { denialsInARow = v; return this; }

        /**
         * The current total of a window, named as a policy writes it: {@code count(1h)}, {@code sum(cost, 'scale_*', 24h)}.
         *
         * @throws IllegalArgumentException text that is not one window
         */
        public Builder window(String text, Number total) {
            windowTotals.put(key(text), total);
            return this;
        }

        public PolicyRequest build() {
            return new PolicyRequest(action, resource, agent, justification, urgency, cost, time, arguments, signals, denialsInARow, windowTotals);
        }
    }
}
