package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** raise_tier, signal.NAME, agent.denials_in_a_row and shadow rules: loading, errors, semantics, compiled against reference. */
class DynamicRiskTest {

    /** A call with signals and a denial streak, as the engine's input gives them. */
    record Call(PolicyRequest request, Map<String, Object> signals, Object denials) implements PolicyInput {
        static Call of(PolicyRequest r) {
            return new Call(r, Map.of(), null);
        }

        Call signal(String name, Object value) {
            Map<String, Object> m = new HashMap<>(signals);
            m.put(name, value);
            return new Call(request, m, denials);
        }

        Call denials(long n) {
            return new Call(request, signals, n);
        }

        @Override public String action() { return request.action(); }
        @Override public String resource() { return request.resource(); }
        @Override public String agent() { return request.agent(); }
        @Override public String justification() { return request.justification(); }
        @Override public String urgency() { return request.urgency(); }
        @Override public Object cost() { return request.cost(); }
        @Override public Instant time() { return request.time(); }
        @Override public Object argument(String name) { return request.argument(name); }
        @Override public Object signal(int slot) { return signals.get(SignalSlots.name(slot)); }
        @Override public Object denialsInARow() { return denials; }
    }

    static Decision decide(String yaml, PolicyInput in) {
        PolicySet set = PolicyLoader.parse("p.yaml", yaml);
        Decision compiled = PolicyCompiler.compile(set).decide(in);
        assertEquals(new ReferencePolicy(set).decide(in), compiled, "compiled and reference decisions differ");
        return compiled;
    }

    static Call call(String action) {
        return Call.of(PolicyRequest.builder(action).time(Instant.parse("2026-11-30T10:00:00Z")).build());
    }

    static final String INCIDENT = """
            default: T0
            policies:
              - name: deletes
                condition: "action == 'delete'"
                risk_tier: T1
              - name: wipe
                condition: "action == 'wipe'"
                effect: deny
                reason: never
              - name: incident
                condition: "signal.error_rate > 0.05"
                raise_tier: 1
              - name: streak
                condition: "agent.denials_in_a_row >= 3"
                raise_tier: 2
            """;

    @Test
    void aRaiseTurnsAT0AllowIntoAnApproveWithTheRaisedTiersDefaults() {
        Decision calm = decide(INCIDENT, call("read"));
        assertEquals(Effect.ALLOW, calm.effect());
        Decision d = decide(INCIDENT, call("read").signal("error_rate", new BigDecimal("0.07")));
        assertEquals(Effect.APPROVE, d.effect());
        assertEquals(Tier.T1, d.tier());
        assertEquals(1, d.requiredApprovals());
        assertEquals(List.of("incident"), d.matchedRules());
        assertEquals(PolicySet.DEFAULT_APPROVAL_TIMEOUT, d.approvalTimeout());
    }

    @Test
    void raisesAddUpAndAreCappedAtT3() {
        Decision both = decide(INCIDENT, call("delete").signal("error_rate", 0.5d).denials(3));
        assertEquals(Tier.T3, both.tier(), "T1 + 1 + 2 = T4, capped at T3");
        assertTrue(both.mfaRequired(), "T3 implies MFA");
        assertEquals(2, both.requiredApprovals());
        assertEquals(List.of("deletes", "incident", "streak"), both.matchedRules(), "the raising rules join in policy order");
        assertEquals(Tier.T2, decide(INCIDENT, call("delete").signal("error_rate", 0.5d)).tier());
        assertEquals(Tier.T2, decide(INCIDENT, call("read").denials(4)).tier());
        assertEquals(Tier.T1, decide(INCIDENT, call("delete").denials(2)).tier(), "2 denials in a row do not hold >= 3");
    }

    @Test
    void aRaiseNeverTouchesADeny() {
        Decision d = decide(INCIDENT, call("wipe").signal("error_rate", 0.5d).denials(9));
        assertEquals(Effect.DENY, d.effect());
        assertEquals(List.of("wipe"), d.matchedRules());
    }

    @Test
    void aMissingSignalIsAMissingAttributeAndAGuardOverItFailsClosed() {
        String yaml = """
                default: T2
                policies:
                  - name: quiet deploys run alone
                    condition: "action == 'deploy' and signal.error_rate < 0.01"
                    risk_tier: T0
                """;
        assertEquals(Tier.T0, decide(yaml, call("deploy").signal("error_rate", 0.001d)).tier());
        Decision unknown = decide(yaml, call("deploy"));
        assertEquals(Tier.T2, unknown.tier(), "no error_rate published: the T0 grant does not hold, the default decides");
        assertTrue(unknown.matchedRules().isEmpty());
        assertEquals(Tier.T0, decide(INCIDENT, call("read")).tier(), "a raise over a missing signal does not hold either");
    }

    @Test
    void timeOfDayRaisesOutsideBusinessHours() {
        String yaml = """
                timezone: Europe/Vienna
                default: T0
                policies:
                  - name: after hours
                    condition: "time.hour < 8 or time.hour >= 18 or time.weekday in ['saturday', 'sunday']"
                    raise_tier: 1
                """;
        PolicyRequest.Builder b = PolicyRequest.builder("scale");
        assertEquals(Tier.T0, decide(yaml, Call.of(b.time(Instant.parse("2026-11-30T09:00:00Z")).build())).tier(), "Monday 10:00 in Vienna");
        Decision night = decide(yaml, Call.of(b.time(Instant.parse("2026-11-30T21:00:00Z")).build()));
        assertEquals(Tier.T1, night.tier(), "Monday 22:00 in Vienna");
        assertEquals(List.of("after hours"), night.matchedRules());
        assertEquals(Tier.T1, decide(yaml, Call.of(b.time(Instant.parse("2026-11-29T09:00:00Z")).build())).tier(), "Sunday");
    }

    @Test
    void theBareNameHourIsStillAnArgument() {
        String yaml = "default: T0\npolicies:\n  - name: h\n    condition: \"hour > 20\"\n    raise_tier: 1\n";
        Call at23 = Call.of(PolicyRequest.builder("x").time(Instant.parse("2026-11-30T23:00:00Z")).build());
        assertEquals(Tier.T0, decide(yaml, at23).tier(), "time.hour is 23, but 'hour' is args.hour, which is missing");
        assertEquals(Tier.T1, decide(yaml, Call.of(PolicyRequest.builder("x").arg("hour", 22).build())).tier());
    }

    @Test
    void shadowRulesDecideOnlyInTheShadowPolicy() {
        String yaml = """
                default: T0
                policies:
                  - name: deploys
                    condition: "action == 'deploy'"
                    risk_tier: T1
                  - name: candidate deny
                    condition: "action == 'deploy' and args.env == 'prod'"
                    effect: deny
                    reason: prod is frozen
                    shadow: true
                  - name: candidate raise
                    condition: "action == 'read'"
                    raise_tier: 2
                    shadow: true
                """;
        PolicySet set = PolicyLoader.parse("p.yaml", yaml);
        assertEquals(List.of("deploys"), set.rules().stream().map(Rule::name).toList());
        assertEquals(List.of("candidate deny", "candidate raise"), set.shadowRules().stream().map(Rule::name).toList());
        PolicySet shadow = set.shadowPolicy();
        assertEquals(3, shadow.rules().size());
        assertTrue(shadow.shadowRules().isEmpty());
        assertNull(shadow.shadowPolicy());
        assertEquals(set.version(), shadow.version(), "the same files");
        PolicyRequest prod = PolicyRequest.builder("deploy").arg("env", "prod").build();
        assertEquals(Effect.APPROVE, PolicyCompiler.compile(set).decide(prod).effect());
        assertEquals(Effect.APPROVE, new ReferencePolicy(set).decide(prod).effect());
        assertEquals(Effect.DENY, PolicyCompiler.compile(shadow).decide(prod).effect());
        assertEquals(Effect.DENY, new ReferencePolicy(shadow).decide(prod).effect());
        assertEquals(Tier.T0, PolicyCompiler.compile(set).decide(PolicyRequest.builder("read").build()).tier());
        assertEquals(Tier.T2, PolicyCompiler.compile(shadow).decide(PolicyRequest.builder("read").build()).tier());
        assertNull(PolicyLoader.parse("p.yaml", INCIDENT).shadowPolicy(), "no shadow rule, no shadow policy");
    }

    // ---- errors ----

    @Test
    void raiseTierMistakesAreReportedWithTheirPlace() {
        ErrorMessageTest.assertError(ErrorMessageTest.only("""
                policies:
                  - name: a
                    condition: "true"
                    raise_tier: 1
                    risk_tier: T2
                """), 5, 5, "'risk_tier' does not go with raise_tier");
        List<PolicyError> deny = ErrorMessageTest.errors("""
                policies:
                  - name: a
                    condition: "true"
                    raise_tier: 1
                    effect: deny
                    reason: never
                """);
        ErrorMessageTest.assertError(deny.get(0), 5, 5, "'effect' does not go with raise_tier");
        ErrorMessageTest.assertError(deny.get(1), 6, 5, "'reason' does not go with raise_tier");
        for (String bad : new String[]{"0", "4", "-1", "'1'", "1.5", "T1"}) {
            ErrorMessageTest.assertError(ErrorMessageTest.only("policies:\n  - name: a\n    condition: \"true\"\n    raise_tier: " + bad + "\n"),
                    4, 17, "raise_tier is 1, 2 or 3");
        }
        ErrorMessageTest.assertError(ErrorMessageTest.only("policies:\n  - name: a\n    condition: \"true\"\n    raise_tier: 1\n    timeout: 30m\n"),
                5, 5, "'timeout' does not go with raise_tier");
        ErrorMessageTest.assertError(ErrorMessageTest.only("default:\n  risk_tier: T0\n  raise_tier: 1\npolicies: []\n"), 3, 3,
                "unknown key in 'default' 'raise_tier'");
        ErrorMessageTest.assertError(ErrorMessageTest.only("policies:\n  - name: a\n    condition: \"true\"\n    risk_tier: T1\n    shadow: yes please\n"),
                5, 13, "shadow is true or false");
    }

    @Test
    void signalAndStreakNamesAreChecked() {
        ErrorMessageTest.assertError(ErrorMessageTest.only(ErrorMessageTest.rule("\"signal > 1\"")), 3, 17, "'signal' is not a signal: write signal.NAME");
        ErrorMessageTest.assertError(ErrorMessageTest.only(ErrorMessageTest.rule("\"signal.a.b > 1\"")), 3, 17, "'signal.a.b' is not a signal");
        ErrorMessageTest.assertError(ErrorMessageTest.only(ErrorMessageTest.rule("\"agent.denials > 1\"")), 3, 17, "the one is agent.denials_in_a_row");
        ErrorMessageTest.assertError(ErrorMessageTest.only(ErrorMessageTest.rule("\"signl.x > 1\"")), 3, 17, "did you mean 'signal'?");
        PolicyLoader.parse("ok.yaml", ErrorMessageTest.rule("\"args.signal.a.b > 1 and signal.x_1 > 0 and agent.denials_in_a_row > 2\""));
    }

    // ---- compiled against reference ----

    @Test
    void compiledAndReferenceAgreeOnRandomRaiseRulesSignalsAndStreaks() {
        Random rnd = new Random(20261130L);
        String[] conds = {"signal.error_rate > 0.05", "signal.error_rate <= 0.01", "signal.load >= 3", "signal.load == 2",
                "agent.denials_in_a_row >= 2", "not (agent.denials_in_a_row > 0)", "signal.incident == 1", "signal.missing_one > 0",
                "action == 'deploy'", "action == 'read' and signal.load > 1", "time.hour >= 18", "cost > 100", "signal.load != 2",
                "signal.error_rate * 100 > signal.load", "agent.denials_in_a_row == null", "signal.load == null"};
        int compared = 0, raised = 0;
        for (int set = 0; set < 30; set++) {
            int size = set % 5 == 4 ? 80 : 20; // some sets wider than 64 rules
            StringBuilder yaml = new StringBuilder("default: T" + rnd.nextInt(3) + "\npolicies:\n");
            for (int i = 0; i < size; i++) {
                String c = conds[rnd.nextInt(conds.length)] + (rnd.nextBoolean() ? "" : " and " + conds[rnd.nextInt(conds.length)]);
                yaml.append("  - name: r").append(i).append("\n    condition: \"").append(c).append("\"\n");
                int kind = rnd.nextInt(10);
                if (kind < 4) yaml.append("    raise_tier: ").append(1 + rnd.nextInt(3)).append('\n');
                else if (kind == 4) yaml.append("    effect: deny\n    reason: never\n");
                else yaml.append("    risk_tier: T").append(rnd.nextInt(4)).append('\n');
                if (rnd.nextInt(8) == 0) yaml.append("    shadow: true\n");
            }
            PolicySet policySet = PolicyLoader.parse("random-" + set + ".yaml", yaml.toString());
            for (PolicySet s : new PolicySet[]{policySet, policySet.shadowPolicy()}) {
                if (s == null) continue;
                CompiledPolicy compiled = PolicyCompiler.compile(s);
                ReferencePolicy reference = new ReferencePolicy(s);
                for (int n = 0; n < 200; n++) {
                    Call c = Call.of(PolicyRequest.builder(rnd.nextBoolean() ? "deploy" : "read").cost(rnd.nextInt(200))
                            .time(Instant.ofEpochSecond(1_790_000_000L + rnd.nextInt(86_400))).build());
                    if (rnd.nextInt(4) != 0) c = c.signal("error_rate", rnd.nextBoolean() ? 0.07d : new BigDecimal("0.005"));
                    if (rnd.nextInt(4) != 0) c = c.signal("load", (long) rnd.nextInt(5));
                    if (rnd.nextInt(3) == 0) c = c.signal("incident", 1);
                    if (rnd.nextInt(4) != 0) c = c.denials(rnd.nextInt(4));
                    Decision expected = reference.decide(c);
                    assertEquals(expected, compiled.decide(c), "set " + set + ", call " + n + ": " + c + "\n" + yaml);
                    compared++;
                    if (s.rules().stream().anyMatch(r -> r.raises() && expected.matchedRules().contains(r.name()))) raised++;
                }
            }
        }
        assertTrue(compared >= 6000, "decisions compared: " + compared);
        assertTrue(raised > compared / 10, "raises happened in " + raised + " of " + compared + " decisions");
    }
}
