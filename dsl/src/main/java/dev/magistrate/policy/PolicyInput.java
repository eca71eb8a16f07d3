package dev.magistrate.policy;

import java.time.Instant;

/**
 * What a policy can see of one call. Every accessor may return {@code null}: an absent attribute
 * never throws, it makes comparisons with it false (see docs/policy-language.md).
 */
public interface PolicyInput {

    String action();

    String resource();

    /** The id of the agent that wants to act. */
    String agent();

    String justification();

    String urgency();

    /** The estimated cost, a {@link Number}, or {@code null}. */
    Object cost();

    /** When the call was submitted; {@code time.hour} and {@code time.weekday} derive from it. */
    Instant time();

    /** The call's argument of that name ({@code args.NAME}), or {@code null} when there is none. */
    Object argument(String name);

    /**
     * The current value of the signal in this slot ({@code signal.NAME}, slot {@link SignalSlots#of}), a
     * {@link Number}, or {@code null} when it is not set: then it is a missing attribute.
     */
    default Object signal(int slot) {
        return null;
    }

    /** How many of this agent's calls in a row were denied ({@code agent.denials_in_a_row}), or {@code null} when not known. */
    default Object denialsInARow() {
        return null;
    }

    /**
     * The current total of a sliding window ({@code count(1h)}, {@code sum(cost, 24h)}): calls granted
     * before this one, not this one. Only the engine keeps window state: an input without it refuses, and
     * the decision fails closed.
     */
    default Object window(Window window) {
        throw new IllegalStateException("no window state to read " + window.definition() + " (only the engine keeps it)");
    }
}
