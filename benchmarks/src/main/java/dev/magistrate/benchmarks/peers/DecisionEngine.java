package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.Call;
import dev.magistrate.benchmarks.policy.Outcome;

/**
 * The tiny adapter every engine sits behind. {@link #prepare} turns a call into the engine's own
 * input once, before timing; {@link #decide} is the only thing the decision benchmark times.
 */
public interface DecisionEngine extends AutoCloseable {

    /** Turns a call into what this engine takes as input (a request, a context, a JSON subscription...). */
    Object prepare(Call call);

    /** One authorization, reduced to the answer every engine can give. */
    Outcome decide(Object prepared);

    @Override
    default void close() throws Exception {
    }
}
