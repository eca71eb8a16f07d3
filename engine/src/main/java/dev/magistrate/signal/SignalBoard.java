package dev.magistrate.signal;

import dev.magistrate.policy.SignalSlots;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Map;
import java.util.TreeMap;

/**
 * The signals an application publishes ({@code signal.NAME} in a policy): error rates, an incident flag, a
 * load figure. Writers copy on write under a lock; a decision reads one immutable {@link Snapshot} through a
 * volatile field and then array slots, so publishing never blocks deciding and one decision sees one moment.
 */
public final class SignalBoard {

    private volatile Snapshot current = new Snapshot(new Object[0]);
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Told after each change, on the publishing thread: it must return at once (hand the work to a thread of its own). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /**
     * Sets a signal; decisions from now on read it.
     *
     * @throws IllegalArgumentException a name a policy could not read as {@code signal.NAME}, or a value that is not a finite number
     */
    public void set(String name, double value) {
        if (!Double.isFinite(value)) throw new IllegalArgumentException("signal " + name + ": " + value + " is not a finite number");
        put(SignalSlots.of(name), BigDecimal.valueOf(value)); // the shortest decimal: 0.07 is 0.07, as a policy literal is
    }

    /** Removes a signal: a policy then sees it as missing. Clearing one that is not set does nothing. */
    public void clear(String name) {
        put(SignalSlots.of(name), null);
    }

    private void put(int slot, BigDecimal value) {
        synchronized (this) {
            Object[] values = current.values;
            Object[] next = Arrays.copyOf(values, Math.max(values.length, slot + 1));
            next[slot] = value;
            current = new Snapshot(next);
        }
        for (Runnable l : listeners) l.run();
    }

    /** The signals as they are now, for one decision. */
    public Snapshot snapshot() {
        return current;
    }

    /** Every signal that is set, by name. */
    public Map<String, Double> values() {
        return current.values();
    }

    /** Signal values by slot ({@link SignalSlots}): immutable. */
    public static final class Snapshot {
        private final Object[] values;

        private Snapshot(Object[] values) {
            this.values = values;
        }

        /** The value in this slot, a {@link BigDecimal}, or null when the signal is not set. */
        public Object get(int slot) {
            return slot < values.length ? values[slot] : null;
        }

        public Map<String, Double> values() {
            Map<String, Double> out = new TreeMap<>();
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) out.put(SignalSlots.name(i), ((BigDecimal) values[i]).doubleValue());
            }
            return Collections.unmodifiableMap(out);
        }
    }
}
