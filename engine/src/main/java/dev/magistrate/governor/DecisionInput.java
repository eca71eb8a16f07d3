package dev.magistrate.governor;

import dev.magistrate.intent.Intent;
import dev.magistrate.policy.ForwardingPolicyInput;
import dev.magistrate.policy.SignalSlots;
import dev.magistrate.policy.Window;
import dev.magistrate.signal.SignalBoard;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * One decision's input: the intent, plus what the engine knows at that moment (the signals as one snapshot, the
 * agent's denial streak). It notes the dynamic values the policy actually read, so that the decision's audit entry
 * can say why a tier rose. Used by one thread for one decision.
 */
final class DecisionInput extends ForwardingPolicyInput {

    private final Intent intent;
    private final SignalBoard.Snapshot signals;
    private final long denialsInARow;
    private final WindowCounters windows;
    private final long nowMillis;
    private List<String> read;
    /** A fleet-wide window was read: its counter is the fleet service's, so the service decides this call (even at T0). */
    private boolean readFleetWindow;

    /** {@code windows} at {@code nowMillis}: what {@code count()} and {@code sum()} read. */
    DecisionInput(Intent intent, SignalBoard.Snapshot signals, long denialsInARow, WindowCounters windows, long nowMillis) {
        super(intent);
        this.intent = intent;
        this.signals = signals;
        this.denialsInARow = denialsInARow;
        this.windows = windows;
        this.nowMillis = nowMillis;
    }

    @Override
    public Object signal(int slot) {
        Object v = signals.get(slot);
        note("signal." + SignalSlots.name(slot), v == null ? "missing" : ((BigDecimal) v).toPlainString());
        return v;
    }

    @Override
    public Object window(Window window) {
        if (window.scope() == Window.Scope.FLEET && windows.fleetDecides()) {
            // A call that reads a fleet window goes to the fleet service, which decides it again with the fleet's counter.
            readFleetWindow = true;
            note(window.definition(), "counted by the fleet service");
        }
        return windows.value(window, intent, nowMillis);
    }

    /** Whether the decision read a fleet-wide window (only when the fleet service decides this engine's calls). */
    boolean readFleetWindow() {
        return readFleetWindow;
    }

    @Override
    public Object denialsInARow() {
        note("agent.denials_in_a_row", Long.toString(denialsInARow));
        return denialsInARow;
    }

    private void note(String name, String value) {
        if (read == null) read = new ArrayList<>(2);
        String entry = name + "=" + value;
        if (!read.contains(entry)) read.add(entry); // each chunk of the compiled policy reads an attribute once
    }

    /** The dynamic attributes the decision read, as {@code name=value}, in the order first read; empty when none. */
    List<String> read() {
        return read == null ? List.of() : List.copyOf(read);
    }

    /** The same moment (signals, streak) for another policy: the shadow decides what the live one saw. */
    DecisionInput again() {
        return new DecisionInput(intent, signals, denialsInARow, windows, nowMillis);
    }
}
