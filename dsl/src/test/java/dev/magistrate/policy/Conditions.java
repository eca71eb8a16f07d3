package dev.magistrate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test helper: whether one condition holds for one request, asserted equal in compiled and reference form. */
final class Conditions {

    private Conditions() {
    }

    static PolicySet single(String condition) {
        return PolicyLoader.parse("test.yaml", "policies:\n  - name: r\n    condition: " + yamlQuote(condition) + "\n    risk_tier: T2\n");
    }

    static boolean holds(String condition, PolicyRequest request) {
        PolicySet set = single(condition);
        Decision compiled = PolicyCompiler.compile(set).decide(request);
        Decision reference = new ReferencePolicy(set).decide(request);
        assertEquals(reference, compiled, "compiled and reference disagree on: " + condition);
        return compiled.matchedRules().contains("r");
    }

    /** A YAML double-quoted scalar holding exactly {@code s}. */
    static String yamlQuote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
