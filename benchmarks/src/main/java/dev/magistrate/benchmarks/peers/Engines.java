package dev.magistrate.benchmarks.peers;

import dev.magistrate.benchmarks.policy.PolicyDescription;

import java.util.List;

/** The engines by the names the benchmarks take as {@code @Param}. */
public final class Engines {

    public static final List<String> ALL = List.of("magistrate", "magistrate-reference", "cedar", "jcasbin", "sapl", "jexl", "mvel");

    private Engines() {
    }

    public static DecisionEngine create(String name, PolicyDescription policy) {
        return switch (name) {
            case "magistrate" -> MagistrateEngine.compiled(policy);
            case "magistrate-reference" -> MagistrateEngine.reference(policy);
            case "cedar" -> new CedarEngine(policy);
            case "jcasbin" -> new CasbinEngine(policy);
            case "sapl" -> new SaplEngine(policy);
            case "jexl" -> new JexlEngine(policy);
            case "mvel" -> new MvelEngine(policy);
            default -> throw new IllegalArgumentException("unknown engine " + name + "; known: " + ALL);
        };
    }
}
