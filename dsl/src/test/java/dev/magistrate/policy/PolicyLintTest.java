package dev.magistrate.policy;

import dev.magistrate.policy.GovernedCode.Method;
import dev.magistrate.policy.GovernedCode.Parameter;
import dev.magistrate.policy.GovernedCode.ValueKind;
import dev.magistrate.policy.LintFinding.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lint stage on real loaded policies and a description of governed code: each finding, and look-alikes that are fine. */
class PolicyLintTest {

    /** The ops tools: scale_service(String service, int instances, String region), deploy(String environment, boolean dryRun), ... */
    static final GovernedCode OPS = new GovernedCode.Builder()
            .add("scale_service", method("Tools#scale", "service:java.lang.String", "instances:int", "region:java.lang.String", "mode:com.acme.Mode"))
            .add("deploy", method("Tools#deploy", "environment:java.lang.String", "dryRun:boolean"))
            .add("refund_order", method("Tools#refund", "order:java.lang.String", "amount:java.math.BigDecimal"))
            .add("refund_order", method("LegacyTools#refund", "order:java.lang.String", "amount:double", "note:java.lang.String"))
            .build(true);

    /** {@code name:type}; a type ending in Mode is an enum. */
    static Method method(String where, String... params) {
        List<Parameter> ps = new ArrayList<>();
        for (String p : params) {
            String name = p.substring(0, p.indexOf(':')), type = p.substring(p.indexOf(':') + 1);
            ps.add(new Parameter(name, type, type.endsWith("Mode") ? ValueKind.ENUM : GovernedCode.kindOf(type)));
        }
        return new Method(where, ps);
    }

    static List<LintFinding> lint(String yaml, GovernedCode code) {
        return PolicyLint.lint(PolicyLoader.parse("ops.yaml", yaml), Map.of("ops.yaml", yaml), code);
    }

    /** One rule per condition, named r1, r2, ... at lines 2, 5, 8, ...; the condition starts at column 17. */
    static String rules(String... conditions) {
        StringBuilder sb = new StringBuilder("policies:\n");
        for (int i = 0; i < conditions.length; i++) {
            sb.append("  - name: r").append(i + 1).append("\n    condition: \"").append(conditions[i]).append("\"\n    risk_tier: T1\n");
        }
        return sb.toString();
    }

    static LintFinding only(List<LintFinding> findings, String code) {
        List<LintFinding> of = findings.stream().filter(f -> f.code().equals(code)).toList();
        assertEquals(1, of.size(), () -> "expected one " + code + " finding, got: " + findings);
        return of.get(0);
    }

    static void assertClean(List<LintFinding> findings) {
        assertTrue(findings.isEmpty(), () -> "expected no findings, got:\n" + String.join("\n", findings.stream().map(LintFinding::format).toList()));
    }

    static void assertAt(LintFinding f, int line, int column) {
        assertEquals("ops.yaml:" + line + ":" + column, f.location().toString(), f::format);
    }

    // ---- 1. unknown arguments ----------------------------------------------------------------------

    @Test
    void anArgumentNoMethodOfTheActionHasIsAnErrorWithADidYouMean() {
        List<LintFinding> fs = lint(rules("action == 'scale_service' and args.instance > 50"), OPS);
        LintFinding f = only(fs, "unknown-argument");
        assertEquals(Severity.ERROR, f.severity());
        assertEquals("did you mean `instances`?", f.suggestion());
        assertAt(f, 3, 17 + "action == 'scale_service' and ".length());
        assertTrue(f.message().contains("'args.instance' is never set: no governed method of 'scale_service' has an argument 'instance'"), f::format);
        assertTrue(f.format().startsWith("ops.yaml:3:47: error: "), f::format);
    }

    @Test
    void aBareNameIsAnArgumentToo() {
        LintFinding f = only(lint(rules("action == 'deploy' and enviroment == 'production'"), OPS), "unknown-argument");
        assertEquals("did you mean `environment`?", f.suggestion());
    }

    @Test
    void argumentsAreCheckedAgainstTheActionsTheirConjunctionAllows() {
        // 'instances' belongs to scale_service, not deploy: under "action == 'deploy'" it is never set.
        only(lint(rules("(action == 'deploy' and args.instances > 5) or (action == 'scale_service' and args.instances > 5)"), OPS),
                "unknown-argument");
        // In a rule for both actions, an argument one of them has is fine.
        assertClean(lint(rules("action in ['deploy', 'scale_service'] and args.instances > 5"), OPS));
        // Inside a 'not', the conjunction still decides which calls read the argument.
        assertClean(lint(rules("not (action == 'scale_service' and args.instances > 5)"), OPS));
    }

    /** A window adds up the counted calls' arguments: those of its own action pattern, not the rule's. */
    @Test
    void aSummedArgumentIsCheckedAgainstTheCallsTheWindowCounts() {
        String rule = "action == 'deploy' and sum(args.instance, 'scale_*', 1h) > 50";
        LintFinding f = only(lint(rules(rule), OPS), "unknown-argument");
        assertEquals("did you mean `instances`?", f.suggestion());
        assertAt(f, 3, 17 + rule.indexOf("args.instance"));
        assertTrue(f.message().contains("no governed method of 'scale_service' has an argument 'instance'"), f::format);
        // The rule is about deploy, but the window sums scale_service's instances: fine.
        assertClean(lint(rules("action == 'deploy' and sum(args.instances, 'scale_*', 1h) + count(1h) > 50"), OPS));
        // Without a pattern every call counts: an argument some method has is fine, one no method has is not.
        assertClean(lint(rules("sum(args.amount, 24h) > 1000"), OPS));
        only(lint(rules("sum(args.amuont, 24h) > 1000"), OPS), "unknown-argument");
    }

    @Test
    void aWindowWhosePatternMatchesNoGovernedActionCountsNothing() {
        String rule = "count('scael_*', 1h) > 3";
        LintFinding f = only(lint(rules(rule), OPS), "unknown-action");
        assertAt(f, 3, 17);
        assertTrue(f.message().contains("the window count('scael_*', 1h) counts no call: no governed action matches 'scael_*'"), f::format);
        GovernedCode partial = new GovernedCode.Builder().add("deploy", method("Tools#deploy", "environment:java.lang.String")).build(false);
        assertClean(lint(rules(rule), partial));
    }

    @Test
    void anArgumentOnlyOneOverloadHasIsKnown() {
        assertClean(lint(rules("action == 'refund_order' and note contains 'vip'"), OPS));
    }

    @Test
    void aRuleForAnyActionIsCheckedAgainstEveryMethod() {
        LintFinding f = only(lint(rules("args.ammount > 100"), OPS), "unknown-argument");
        assertEquals("did you mean `amount`?", f.suggestion());
        assertClean(lint(rules("args.amount > 100"), OPS));
    }

    @Test
    void withoutAllTheCodeAnArgumentOfAnUnconstrainedRuleIsNotJudged() {
        GovernedCode partial = new GovernedCode.Builder().add("deploy", method("Tools#deploy", "environment:java.lang.String")).build(false);
        assertClean(lint(rules("args.amount > 100"), partial));
        assertClean(lint(rules("action == 'scale_service' and args.instances > 5"), partial)); // not loaded yet
        only(lint(rules("action == 'deploy' and args.enviroment == 'x'"), partial), "unknown-argument");
    }

    @Test
    void aNestedArgumentIsCheckedByItsParameter() {
        assertClean(lint(rules("action == 'refund_order' and args.order.customer == 'x'"), OPS));
        only(lint(rules("action == 'refund_order' and args.ordr.customer == 'x'"), OPS), "unknown-argument");
    }

    // ---- 2. argument types ----------------------------------------------------------------------------

    @Test
    void aNumberComparedWithTextIsNeverTrue() {
        LintFinding f = only(lint(rules("action == 'scale_service' and instances == 'many'"), OPS), "argument-type");
        assertEquals(Severity.ERROR, f.severity());
        assertTrue(f.message().contains("'args.instances' is a number (int): '==' 'many' is never true"), f::format);
        assertAt(f, 3, 17 + "action == 'scale_service' and instances ".length());
    }

    @Test
    void aNumberNotEqualToTextIsAlwaysTrue() {
        LintFinding f = only(lint(rules("action == 'scale_service' and instances != 'many'"), OPS), "argument-type");
        assertTrue(f.message().contains("is always true when it is set"), f::format);
    }

    @Test
    void aBooleanComparedWithANumberOrMatchedAsTextIsNeverTrue() {
        only(lint(rules("action == 'deploy' and dryRun == 1"), OPS), "argument-type");
        only(lint(rules("action == 'deploy' and dryRun matches '^t'"), OPS), "argument-type");
        only(lint(rules("action == 'deploy' and dryRun in ['yes', 'no']"), OPS), "argument-type");
    }

    @Test
    void anEnumIsNeverANumber() {
        only(lint(rules("action == 'scale_service' and mode > 3"), OPS), "argument-type");
        assertClean(lint(rules("action == 'scale_service' and mode == 'SAFE'"), OPS));
    }

    @Test
    void textComparedWithANumberIsAWarningThatSaysHowItCompares() {
        LintFinding f = only(lint(rules("action == 'scale_service' and region > 5"), OPS), "argument-type");
        assertEquals(Severity.WARNING, f.severity());
        assertTrue(f.message().contains("only for text that is a number"), f::format);
    }

    @Test
    void comparisonsTheValueSemanticsAllowAreClean() {
        assertClean(lint(rules(
                "action == 'scale_service' and instances > '50'",           // numeric text compares as a number
                "action == 'deploy' and dryRun == 'true'",                  // boolean text compares as a boolean
                "action == 'deploy' and dryRun == true",
                "action == 'deploy' and environment == 'production'",
                "action == 'refund_order' and amount >= 1000",              // BigDecimal in one overload, double in the other
                "action == 'scale_service' and instances in [1, 2, '3']",
                "action == 'scale_service' and region == null"), OPS));
    }

    @Test
    void overloadsThatDisagreeAreNotJudged() {
        GovernedCode mixed = new GovernedCode.Builder()
                .add("refund_order", method("A#refund", "amount:int"))
                .add("refund_order", method("B#refund", "amount:java.lang.Object"))
                .build(true);
        assertClean(lint(rules("action == 'refund_order' and amount == 'all'"), mixed));
    }

    // ---- 3. unknown actions ----------------------------------------------------------------------------

    @Test
    void anActionNoMethodHasIsAnErrorWithADidYouMean() {
        LintFinding f = only(lint(rules("action in ['deploy', 'scale_servce']"), OPS), "unknown-action");
        assertEquals("did you mean `scale_service`?", f.suggestion());
        assertAt(f, 3, 17 + "action in ['deploy', ".length());
        only(lint(rules("action startsWith 'terminate_'"), OPS), "unknown-action");
        assertClean(lint(rules("action startsWith 'scale_'", "action matches '^refund'"), OPS));
    }

    @Test
    void aRollbackForAnActionNoMethodHasIsAnError() {
        String yaml = rules("true") + "rollbacks:\n  - action: scale_servce\n    when: failed\n  - action: scale_*\n    when: failed\n";
        LintFinding f = only(lint(yaml, OPS), "unknown-action");
        assertEquals("rollbacks", f.rule());
        assertEquals("did you mean `scale_service`?", f.suggestion());
        assertEquals(6, f.location().line(), f.format());
        assertClean(lint(rules("true") + "rollbacks:\n  - action: scale_*\n    when: failed\n", OPS));
    }

    @Test
    void withoutTheWholeClassPathNoActionIsUnknown() {
        GovernedCode partial = new GovernedCode.Builder().add("deploy", method("Tools#deploy", "environment:java.lang.String")).build(false);
        assertClean(lint(rules("action == 'scale_servce'"), partial));
        assertClean(lint(rules("action == 'anything'"), null));
    }

    // ---- 4. never matches ----------------------------------------------------------------------------------

    @Test
    void contradictoryBoundsNeverMatch() {
        LintFinding f = only(lint(rules("cost > 10 and cost < 5"), null), "never-matches");
        assertEquals(Severity.ERROR, f.severity());
        assertTrue(f.message().contains("cost > 10 and cost < 5 cannot both hold"), f::format);
        assertAt(f, 3, 17 + "cost > 10 and cost ".length());
        only(lint(rules("cost >= 10 and cost < 10"), null), "never-matches");
        only(lint(rules("action == 'a' and cost == 3 and cost > 3.5"), null), "never-matches");
    }

    @Test
    void twoActionsInOneConjunctionNeverMatch() {
        LintFinding f = only(lint(rules("action == 'deploy' and cost > 1 and action == 'scale_service'"), OPS), "never-matches");
        assertTrue(f.message().contains("action == 'deploy' and action == 'scale_service' cannot both hold"), f::format);
        only(lint(rules("action in ['a', 'b'] and action == 'c'"), null), "never-matches");
        only(lint(rules("environment == 'prod' and environment != 'prod'"), null), "never-matches");
        only(lint(rules("(cost > 5 and cost < 1) or (action == 'a' and action == 'b')"), null), "never-matches");
    }

    @Test
    void lookAlikesThatCanMatchAreClean() {
        assertClean(lint(rules(
                "cost >= 10 and cost <= 10",                    // exactly 10
                "cost > 10 or cost < 5",                        // a disjunction
                "action in ['a', 'b'] and action in ['b', 'c']",
                "flag == 'true' and flag == true",              // a boolean true equals both
                "n == '5' and n == 5.0",                        // the number 5 equals both
                "n == '5' and n != '5.0'",                      // the text '5' is not the text '5.0'
                "not (cost > 10) and cost > 20",                // missing cost: not proven
                "(action == 'a' and cost > 5) or (action == 'b' and cost < 1)"), null));
    }

    // ---- 5. shadowed by a deny ---------------------------------------------------------------------------------

    static String rule(String name, String condition, String tail) {
        return "  - name: " + name + "\n    condition: \"" + condition + "\"\n    " + tail + "\n";
    }

    @Test
    void aRuleWhoseCallsADenyAlwaysCatchesIsShadowedWhateverTheOrder() {
        String yaml = "policies:\n"
                + rule("big scale", "action == 'scale_service' and instances > 100", "risk_tier: T3")
                + rule("no big scale", "action == 'scale_service' and instances > 50", "effect: deny\n    reason: not by an agent");
        LintFinding f = only(lint(yaml, OPS), "shadowed");
        assertEquals("big scale", f.rule());
        assertAt(f, 2, 5);
        assertTrue(f.message().contains("deny rule 'no big scale' (ops.yaml:5:5) matches too"), f::format);
    }

    @Test
    void anUnconditionalDenyForTheActionShadowsEveryRuleForIt() {
        String yaml = "policies:\n"
                + rule("no deploys", "action == 'deploy'", "effect: deny\n    reason: not by an agent")
                + rule("prod deploys", "action == 'deploy' and environment == 'production'", "risk_tier: T2")
                + rule("reads", "action in ['deploy', 'scale_service']", "risk_tier: T0");
        LintFinding f = only(lint(yaml, OPS), "shadowed");
        assertEquals("prod deploys", f.rule());
    }

    @Test
    void aNarrowerDenyShadowsNothing() {
        String yaml = "policies:\n"
                + rule("scale", "action == 'scale_service'", "risk_tier: T2")
                + rule("no big scale", "action == 'scale_service' and instances > 50", "effect: deny\n    reason: not by an agent")
                + rule("medium", "action == 'scale_service' and instances > 20 and instances < 60", "risk_tier: T2")
                + rule("prod or big", "environment == 'production' or cost > 1000", "risk_tier: T3")
                + rule("no big cost", "cost > 1000", "effect: deny\n    reason: not by an agent");
        assertClean(lint(yaml, OPS));
    }

    @Test
    void aDisjunctionIsShadowedWhenEveryBranchIs() {
        String yaml = "policies:\n"
                + rule("no shared environments", "environment in ['production', 'staging', 'test']", "effect: deny\n    reason: not by an agent")
                + rule("prod or staging", "environment == 'production' or environment == 'staging'", "risk_tier: T1");
        only(lint(yaml, null), "shadowed");
    }

    // ---- 6. conflicts --------------------------------------------------------------------------------------

    @Test
    void theSameConditionWithDifferentEffectsConflicts() {
        String yaml = "policies:\n"
                + rule("allow reads", "action == 'get_bill' and cost < 10", "risk_tier: T0")
                + rule("no bills", "cost < 10 and action == 'get_bill'", "effect: deny\n    reason: not by an agent");
        List<LintFinding> fs = lint(yaml, null);
        LintFinding f = only(fs, "conflict");
        assertEquals("no bills", f.rule());
        assertTrue(f.message().contains("'allow reads' never decides anything"), f::format);
        assertEquals(1, fs.size(), () -> "a conflict is not also a shadow: " + fs);
    }

    @Test
    void theSameConditionWithDifferentTiersConflicts() {
        String yaml = "policies:\n"
                + rule("deploys", "action == 'deploy'", "risk_tier: T2")
                + rule("deploys are fine", "action == 'deploy'", "risk_tier: T0");
        LintFinding f = only(lint(yaml, null), "conflict");
        assertEquals(Severity.WARNING, f.severity());
        assertTrue(f.message().contains("'deploys are fine' is always raised to T2"), f::format);
    }

    @Test
    void sameTierOrDifferentConditionsDoNotConflict() {
        String yaml = "policies:\n"
                + rule("deploys", "action == 'deploy'", "risk_tier: T2")
                + rule("deploys again", "action == 'deploy'", "risk_tier: T2\n    required_roles: [sre]")
                + rule("prod deploys", "action == 'deploy' and environment == 'production'", "risk_tier: T3")
                + rule("no drop", "action == 'db' and sql matches 'drop'", "effect: deny\n    reason: not by an agent")
                + rule("no drop either", "action == 'db' and sql matches 'drop'", "effect: deny\n    reason: not by an agent");
        assertClean(lint(yaml, null));
    }

    // ---- positions and sources -----------------------------------------------------------------------

    @Test
    void positionsFollowTheYamlQuotingOfABlockCondition() {
        String yaml = "policies:\n  - name: r\n    condition: |\n      action == 'scale_service' and\n      args.instance > 5\n    risk_tier: T1\n";
        assertAt(only(lint(yaml, OPS), "unknown-argument"), 5, 7);
    }

    @Test
    void aPolicyLoadedFromFilesIsLocatedInThoseFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ops.yaml");
        Files.writeString(file, rules("action == 'scale_service' and args.instance > 5"));
        LintFinding f = only(PolicyLint.lint(PolicyLoader.load(file), OPS), "unknown-argument");
        assertEquals(file + ":3:47", f.location().toString());
    }

    @Test
    void againstCodeAloneTheAgentGetsOnlyTheFindingsThatDependOnIt() {
        String yaml = rules("action == 'scale_service' and args.instance > 5", "cost > 10 and cost < 5");
        PolicySet set = PolicyLoader.parse("ops.yaml", yaml);
        List<LintFinding> code = PolicyLint.lintAgainstCode(set, Map.of("ops.yaml", yaml), OPS);
        assertEquals(List.of("unknown-argument"), code.stream().map(LintFinding::code).toList());
        assertEquals(List.of("never-matches"), PolicyLint.lint(set, Map.of("ops.yaml", yaml), null).stream().map(LintFinding::code).toList());
    }

    @Test
    void aCleanFindingHasNoSuggestion() {
        LintFinding f = only(lint(rules("action == 'scale_service' and args.zzzzzz > 5"), OPS), "unknown-argument");
        assertNull(f.suggestion());
    }
}
