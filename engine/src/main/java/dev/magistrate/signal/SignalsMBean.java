package dev.magistrate.signal;

import java.util.Map;

/**
 * The JMX face of a {@link SignalBoard}, registered as {@value SignalsJmx#OBJECT_NAME}: how code that cannot see
 * the engine (an application under the agent, whose engine lives in an isolated class loader) or an operator's
 * JMX console publishes signals. Its types are the JDK's own, so any class loader can call it.
 */
public interface SignalsMBean {

    /** Sets a signal ({@code signal.NAME} in the policy) to a finite number. */
    void setSignal(String name, double value);

    /** Removes a signal: the policy sees it as missing. */
    void clearSignal(String name);

    /** Every signal that is set. */
    Map<String, Double> getSignals();
}
