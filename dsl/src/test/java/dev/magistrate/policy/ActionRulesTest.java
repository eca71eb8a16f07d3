package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each action's rules are compiled into a class of their own ({@link GeneratedPolicy.ActionRules}), so that the JIT
 * compiles them apart instead of inlining as many actions as fit into one method (docs/performance.md, "The
 * 50-rule decision in every fork"). The layout must not change a decision: with one method per action, with an
 * action whose rules need several methods, narrow (at most 64 rules) and wide, the compiled policy decides as the
 * reference interpreter does.
 */
class ActionRulesTest {

    static final String[] ROLES = {"operator", "intern", "contractor", "admin"};
    static final String[] ENVIRONMENTS = {"production", "staging", "dev"};

    /** Per action: a ceiling, a production rule, a role rule, a resource rule; plus rules that hold for any action. */
    static String policy(int actions, int rulesPerAction, int globalRules) {
        StringBuilder yaml = new StringBuilder("policies:\n");
        for (int g = 0; g < globalRules; g++) {
            yaml.append("  - name: global-").append(g).append("\n    condition: \"args.amount > ").append(90_000 + g)
                    .append(" or agent == 'rogue-").append(g).append("'\"\n    effect: deny\n    reason: too much\n");
        }
        for (int a = 0; a < actions; a++) {
            for (int r = 0; r < rulesPerAction; r++) {
                String condition = switch (r % 4) {
                    case 0 -> "action == 'act_" + a + "' and args.amount > " + (1000 + 37 * r);
                    case 1 -> "action == 'act_" + a + "' and args.environment == 'production' and args.amount > " + (100 + r);
                    case 2 -> "action in ['act_" + a + "', 'shared'] and args.role in ['intern', 'contractor']";
                    default -> "action == 'act_" + a + "' and resource startsWith 'prod/' and args.amount <= " + (500 + r);
                };
                yaml.append("  - name: act-").append(a).append("-").append(r).append("\n    condition: ")
                        .append(Conditions.yamlQuote(condition)).append('\n')
                        .append(r % 7 == 6 ? "    effect: deny\n    reason: ceiling\n" : "    risk_tier: T" + (r % 4) + "\n");
            }
        }
        return yaml.toString();
    }

    static List<PolicyRequest> calls(int actions, int count, long seed) {
        Random rnd = new Random(seed);
        List<PolicyRequest> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int a = rnd.nextInt(actions + 2);
            String action = a < actions ? "act_" + a : a == actions ? "shared" : "unlisted";
            out.add(PolicyRequest.builder(action).agent(rnd.nextInt(10) == 0 ? "rogue-0" : "agent-1")
                    .resource(rnd.nextBoolean() ? "prod/db" : "dev/db").arg("amount", rnd.nextInt(100_000))
                    .arg("role", ROLES[rnd.nextInt(ROLES.length)]).arg("environment", ENVIRONMENTS[rnd.nextInt(ENVIRONMENTS.length)])
                    .build());
        }
        return out;
    }

    static int assertDecidesAsTheReference(PolicySet set, List<PolicyRequest> calls) {
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        int matched = 0;
        for (PolicyRequest call : calls) {
            Decision expected = reference.decide(call);
            assertEquals(expected, compiled.decide(call), call.toString());
            matched += expected.matchedRules().size();
        }
        assertTrue(matched > calls.size(), "rules match: " + matched + " matches in " + calls.size() + " calls");
        return matched;
    }

    static long actionClasses(CompiledPolicy compiled) {
        return Arrays.stream(compiled.getClass().getDeclaredClasses())
                .filter(GeneratedPolicy.ActionRules.class::isAssignableFrom).count();
    }

    @Test
    void tenActionsOfFiveRulesAreTenClassesOfTheirOwnAndDecideAsTheReference() {
        PolicySet set = PolicyLoader.parse("ten-actions.yaml", policy(10, 5, 0));
        // Ten actions and 'shared' (named by every action's role rule): eleven classes.
        assertEquals(11, actionClasses(PolicyCompiler.compile(set)));
        assertDecidesAsTheReference(set, calls(10, 2_000, 20261130L));
    }

    @Test
    void rulesForAnyActionStayBesideTheActionClasses() {
        PolicySet set = PolicyLoader.parse("global-and-actions.yaml", policy(3, 4, 2));
        assertEquals(4, actionClasses(PolicyCompiler.compile(set)));
        assertDecidesAsTheReference(set, calls(3, 1_000, 7L));
    }

    @Test
    void anActionWithMoreRulesThanOneMethodHoldsSplitsItsRulesAndDecidesAsTheReference() {
        // 60 rules on one action: more than one method's worth (16 rules), still one narrow bit set.
        PolicySet narrow = PolicyLoader.parse("one-big-action.yaml", policy(1, 60, 0));
        assertEquals(60, narrow.rules().size());
        String source = PolicyCompiler.source(narrow);
        assertTrue(source.contains("static final class Action0 extends GeneratedPolicy.ActionRules"), source);
        assertTrue(source.contains("m |= c3(in);"), "the action's match calls its chunk methods:\n" + source);
        assertDecidesAsTheReference(narrow, calls(1, 1_000, 11L));
        // 3 x 40 rules: wider than 64, the action classes set bits in the caller's words.
        PolicySet wide = PolicyLoader.parse("wide.yaml", policy(3, 40, 1));
        assertTrue(PolicyCompiler.source(wide).contains("public void matchWide(PolicyInput in, long[] m)"));
        assertDecidesAsTheReference(wide, calls(3, 1_000, 13L));
    }
}
