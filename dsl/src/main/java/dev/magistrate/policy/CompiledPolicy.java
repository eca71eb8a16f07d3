package dev.magistrate.policy;

/**
 * A policy set ready to decide: compiled to bytecode, thread-safe, allocation-free on the common
 * path. Obtain one with {@code PolicyCompiler.compile(PolicyLoader.load(path))}.
 */
public interface CompiledPolicy {

    /** Decides one call. Never throws for any input: a failure inside evaluation is a denial. */
    Decision decide(PolicyInput input);

    /** The SHA-256 (hex) of the policy files that make this set; recorded with every decision. */
    String version();

    /** The sliding windows the rules read, each once: the counters the engine keeps for this policy. Empty for most policies. */
    default java.util.List<Window> windows() {
        return java.util.List.of();
    }

    /**
     * Whether a rule reads a fleet-wide window ({@code count_fleet}, {@code sum_fleet}): its counter lives in the fleet
     * service, so such a policy is decided there, and an engine without a fleet refuses it (docs/fleet.md).
     */
    default boolean readsFleetWindows() {
        for (Window w : windows()) if (w.scope() == Window.Scope.FLEET) return true;
        return false;
    }

    /** The policy's {@code rollbacks:}, conditions compiled, in file order. Empty for most policies. */
    default java.util.List<Rollback> rollbacks() {
        return java.util.List.of();
    }

    /** The windows one rule's condition reads, for explaining its denial. */
    default java.util.List<Window> windowsOf(String rule) {
        return java.util.List.of();
    }

    /** The policy's {@code break_glass} section, or null when it has none: then no break-glass grant can be opened. */
    default BreakGlassPolicy breakGlass() {
        return null;
    }
}
