package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.magistrate.policy.ErrorMessageTest.assertError;
import static dev.magistrate.policy.ErrorMessageTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The break_glass section and the rules' break_glass: never, and a located error for each thing that can be wrong. */
class BreakGlassPolicyTest {

    private static final String RULES = """
            policies:
              - name: compliance-append-only
                condition: "action == 'delete_compliance_row'"
                effect: deny
                reason: compliance tables are append-only
                break_glass: never
              - name: scale
                condition: "action == 'scale_service'"
                risk_tier: T2
            """;

    private static String section(String body) {
        return RULES + "break_glass:\n" + body;
    }

    @Test
    void theSectionAndTheNeverRulesLoad() {
        PolicySet set = PolicyLoader.parse("ops.yaml", section("  roles: [incident_commander]\n  max_uses: 3\n  max_duration: 30m\n"));
        BreakGlassPolicy bg = set.breakGlass();
        assertEquals(List.of("incident_commander"), bg.roles());
        assertEquals(3, bg.maxUses());
        assertEquals(Duration.ofMinutes(30), bg.maxDuration());
        assertEquals(Set.of("compliance-append-only"), bg.neverRules());
        assertEquals(bg, PolicyCompiler.compile(set).breakGlass(), "the compiled policy carries the section");
        assertEquals(bg, new ReferencePolicy(set).breakGlass());
    }

    @Test
    void aPolicyWithoutTheSectionHasNoBreakGlass() {
        PolicySet set = PolicyLoader.parse("ops.yaml", "policies:\n  - name: a\n    condition: \"true\"\n    risk_tier: T1\n");
        assertNull(set.breakGlass());
        assertNull(PolicyCompiler.compile(set).breakGlass());
    }

    @Test
    void neverWithoutASectionIsAnErrorAtTheRule() {
        assertError(only(RULES), 6, 5, "no top-level break_glass section");
    }

    @Test
    void theSectionMayBeInAnotherFileOfTheSet() {
        PolicySet set = PolicyLoader.parse(Map.of("a.yaml", RULES,
                "b.yaml", "policies: []\nbreak_glass: {roles: [ic], max_uses: 1, max_duration: 5m}\n"));
        assertEquals(Set.of("compliance-append-only"), set.breakGlass().neverRules());
        PolicyException twice = assertThrows(PolicyException.class, () -> PolicyLoader.parse(orderedTwo()));
        assertEquals(1, twice.errors().size(), twice::getMessage);
        assertEquals("b.yaml", twice.errors().get(0).location().file());
        assertTrue(twice.errors().get(0).message().contains("one break_glass section; another is at a.yaml:2:1"), twice::getMessage);
    }

    private static Map<String, String> orderedTwo() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("a.yaml", "policies: []\nbreak_glass: {roles: [ic], max_uses: 1, max_duration: 5m}\n");
        m.put("b.yaml", "policies: []\nbreak_glass: {roles: [ic], max_uses: 2, max_duration: 5m}\n");
        return m;
    }

    @Test
    void aBadValueOfNeverIsLocated() {
        String yaml = section("  roles: [ic]\n  max_uses: 3\n  max_duration: 30m\n").replace("break_glass: never", "break_glass: always");
        assertError(only(yaml), 6, 18, "break_glass on a rule is 'never'");
        String bool = section("  roles: [ic]\n  max_uses: 3\n  max_duration: 30m\n").replace("break_glass: never", "break_glass: false");
        assertError(only(bool), 6, 18, "not 'false'");
    }

    @Test
    void neverIsAllowedOnARaiseRule() {
        PolicySet raised = PolicyLoader.parse("ops.yaml", "policies:\n  - name: r\n    condition: \"true\"\n    raise_tier: 1\n"
                + "    break_glass: never\nbreak_glass: {roles: [ic], max_uses: 1, max_duration: 5m}\n");
        assertEquals(Set.of("r"), raised.breakGlass().neverRules());
    }

    @Test
    void eachBadFieldOfTheSectionIsLocated() {
        assertError(only(RULES + "break_glass: yes\n"), 10, 14, "'break_glass' is a mapping");
        assertError(only(section("  roles: [ic]\n  max_uses: 3\n  max_duration: 30m\n  max_use: 2\n")), 14, 3,
                "unknown key in 'break_glass' 'max_use': did you mean 'max_uses'?");
        assertError(only(section("  max_uses: 3\n  max_duration: 30m\n")), 11, 3, "missing 'roles' in break_glass");
        assertError(only(section("  roles: incident_commander\n  max_uses: 3\n  max_duration: 30m\n")), 11, 10,
                "break_glass roles is a list of role names");
        assertError(only(section("  roles: []\n  max_uses: 3\n  max_duration: 30m\n")), 11, 10, "at least one role");
        assertError(only(section("  roles: [ic, 3]\n  max_uses: 3\n  max_duration: 30m\n")), 11, 15, "break_glass roles lists role names as text");
        assertError(only(section("  roles: [ic]\n  max_duration: 30m\n")), 11, 3, "missing 'max_uses' in break_glass");
        assertError(only(section("  roles: [ic]\n  max_uses: 0\n  max_duration: 30m\n")), 12, 13, "max_uses is a whole number from 1");
        assertError(only(section("  roles: [ic]\n  max_uses: three\n  max_duration: 30m\n")), 12, 13, "not 'three'");
        assertError(only(section("  roles: [ic]\n  max_uses: 3\n")), 11, 3, "missing 'max_duration' in break_glass");
        assertError(only(section("  roles: [ic]\n  max_uses: 3\n  max_duration: soon\n")), 13, 17, "'max_duration' is a duration");
    }
}
