package dev.magistrate.policy;

import java.time.Instant;

/**
 * A {@link PolicyInput} that answers everything from another one: subclasses override what they add (signals, a denial
 * streak, window totals) and keep the call's own attributes, so that delegation is written once.
 */
public abstract class ForwardingPolicyInput implements PolicyInput {

    private final PolicyInput call;

    protected ForwardingPolicyInput(PolicyInput call) {
        this.call = call;
    }

    @Override public String action() { return call.action(); }
    @Override public String resource() { return call.resource(); }
    @Override public String agent() { return call.agent(); }
    @Override public String justification() { return call.justification(); }
    @Override public String urgency() { return call.urgency(); }
    @Override public Object cost() { return call.cost(); }
    @Override public Instant time() { return call.time(); }
    @Override public Object argument(String name) { return call.argument(name); }
    @Override public Object signal(int slot) { return call.signal(slot); }
    @Override public Object denialsInARow() { return call.denialsInARow(); }
    @Override public Object window(Window window) { return call.window(window); }
}
