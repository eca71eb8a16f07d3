package dev.magistrate.policy;

import dev.magistrate.policy.internal.Interpreter;

import java.util.ArrayList;
import java.util.List;

/**
 * The slow, obviously correct evaluator: every rule, in order, through the {@link Interpreter}.
 * The compiled policy is tested against it; it is never the hot path.
 */
public final class ReferencePolicy implements CompiledPolicy {

    private final PolicySet set;
    private final Interpreter interpreter;

    public ReferencePolicy(PolicySet set) {
        this.set = set;
        this.interpreter = new Interpreter(set.zone());
    }

    @Override
    public Decision decide(PolicyInput input) {
        List<Rule> matched = new ArrayList<>();
        try {
            for (Rule r : set.rules()) {
                if (interpreter.test(r.condition(), input)) matched.add(r);
            }
        } catch (RuntimeException | StackOverflowError e) {
            return Decision.failClosed("policy evaluation failed (" + e.getClass().getSimpleName() + "): denied to be safe",
                    set.version());
        }
        return set.combine(matched);
    }

    @Override
    public List<Window> windows() {
        return Window.in(set);
    }

    @Override
    public String version() {
        return set.version();
    }

    @Override
    public BreakGlassPolicy breakGlass() {
        return set.breakGlass();
    }
}
