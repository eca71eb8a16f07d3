package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compiled policy's texts (argument names, string literals, the members of {@code in} sets, the action index's
 * keys) are the JVM's interned strings, so that an input holding the same instances (Java literals and annotation
 * values are interned) is answered by {@link String#equals}'s identity check (docs/performance.md, "The 50-rule
 * decision, night of 2026-11-30"). Identity is only a shortcut: copies of every text decide exactly as the originals.
 */
class InternedConstantsTest {

    @Test
    void everyTextTheCompiledPolicyComparesIsTheInternedInstance() throws Exception {
        PolicySet set = PolicyLoader.parse("ten-actions.yaml", ActionRulesTest.policy(10, 5, 1));
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        List<String> texts = new ArrayList<>();
        for (Field f : compiled.getClass().getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !f.getName().matches("K\\d+")) continue;
            f.setAccessible(true);
            Object value = f.get(null);
            if (value instanceof String s) texts.add(s);
            if (value instanceof Collection<?> c) c.forEach(v -> { if (v instanceof String s) texts.add(s); });
            if (value instanceof Map<?, ?> m) m.keySet().forEach(k -> texts.add((String) k));
        }
        // Argument names, 'production', 'prod/', the role sets' members and the eleven actions of the index, at least.
        assertTrue(texts.containsAll(List.of("amount", "environment", "role", "production", "prod/", "intern", "act_0", "shared")), texts.toString());
        for (String t : texts) assertSame(t.intern(), t, t);
    }

    @Test
    void copiesOfEveryTextDecideAsTheOriginalsAndAsTheReference() {
        PolicySet set = PolicyLoader.parse("ten-actions.yaml", ActionRulesTest.policy(10, 5, 1));
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        int matched = 0;
        for (PolicyRequest call : ActionRulesTest.calls(10, 2_000, 20261201L)) {
            PolicyRequest copy = copyOfEveryText(call);
            Decision expected = reference.decide(call);
            assertEquals(expected, compiled.decide(call), call.toString());
            assertEquals(expected, compiled.decide(copy), "copied texts: " + call);
            matched += expected.matchedRules().size();
        }
        assertTrue(matched > 2_000, "rules match: " + matched);
    }

    /** The same call with every string a new instance: no identity with the policy's interned texts. */
    private static PolicyRequest copyOfEveryText(PolicyRequest call) {
        PolicyRequest.Builder b = PolicyRequest.builder(new String(call.action())).agent(new String(call.agent()))
                .resource(new String(call.resource())).time(call.time());
        call.arguments().forEach((name, value) -> b.arg(new String(name), value instanceof String s ? new String(s) : value));
        return b.build();
    }
}
