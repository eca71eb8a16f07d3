package dev.magistrate.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The combination rules of docs/policy-language.md, each proven on compiled and reference evaluation. */
class SemanticsTest {

    static Decision decide(String yaml, PolicyRequest r) {
        PolicySet set = PolicyLoader.parse("p.yaml", yaml);
        Decision compiled = PolicyCompiler.compile(set).decide(r);
        assertEquals(new ReferencePolicy(set).decide(r), compiled);
        return compiled;
    }

    static PolicyRequest call(String action, Object... args) {
        PolicyRequest.Builder b = PolicyRequest.builder(action);
        for (int i = 0; i < args.length; i += 2) b.arg((String) args[i], args[i + 1]);
        return b.build();
    }

    static final String OPS = """
            version: "2026-11-24"
            policies:
              - name: scale-small
                condition: "action == 'scale' and replicas <= 25"
                risk_tier: T2
                required_roles: [sre]
                timeout: 10m
                warrant_ttl: 2m
              - name: scale-big
                condition: "action == 'scale' and replicas > 25"
                risk_tier: T3
                required_approvals: [engineering_director, cfo]
                timeout: 1h
              - name: business-hours-only
                condition: "action == 'scale' and (time.hour < 8 or time.hour >= 20)"
                risk_tier: T1
                timeout: 2h
                warrant_ttl: 1m
              - name: no-drop
                description: Agents never drop tables.
                condition: "action == 'db_query' and lower(sql) contains 'drop '"
                effect: deny
                reason: "dropping tables is never done by an agent"
              - name: compliance-tables
                condition: "action == 'db_query' and table startsWith 'audit_'"
                effect: deny
                risk_tier: T2
                reason: "compliance tables are append-only"
              - name: db-writes
                condition: "action == 'db_query'"
                risk_tier: T2
              - name: reads
                condition: "action in ['health_check', 'list_instances']"
                risk_tier: T0
            """;

    @Test
    void denyOverridesEveryOtherMatchAndListsEveryDenyingRule() {
        Decision d = decide(OPS, call("db_query", "sql", "DROP TABLE audit_log", "table", "audit_log"));
        assertEquals(Effect.DENY, d.effect());
        assertEquals(List.of("no-drop", "compliance-tables", "db-writes"), d.matchedRules());
        assertEquals(Map.of("no-drop", "dropping tables is never done by an agent",
                "compliance-tables", "compliance tables are append-only"), d.denyReasons());
        assertEquals(Tier.T3, d.tier(), "a deny without a tier counts as T3");
        assertEquals(0, d.requiredApprovals());
        assertTrue(d.explain().contains("dropping tables is never done by an agent"), d.explain());
    }

    @Test
    void highestTierWinsApprovalsAreTheMaximumRolesTheUnion() {
        Instant night = Instant.parse("2026-11-24T03:00:00Z");
        Decision d = decide(OPS, PolicyRequest.builder("scale").arg("replicas", 200).time(night).build());
        assertEquals(Tier.T3, d.tier());
        assertEquals(List.of("scale-big", "business-hours-only"), d.matchedRules());
        assertEquals(2, d.requiredApprovals());
        assertEquals(List.of("engineering_director", "cfo"), d.requiredRoles());
        assertTrue(d.mfaRequired(), "T3 implies MFA");
        assertEquals(Duration.ofHours(2), d.approvalTimeout(), "the longest timeout of the matched rules");
        assertEquals(Duration.ofMinutes(1), d.warrantTtl(), "the shortest warrant lifetime of the matched rules");
    }

    @Test
    void tierDefaultsApplyWhereApprovalsAreUnset() {
        Instant day = Instant.parse("2026-11-24T12:00:00Z");
        Decision t2 = decide(OPS, PolicyRequest.builder("scale").arg("replicas", 25).time(day).build());
        assertEquals(Tier.T2, t2.tier());
        assertEquals(2, t2.requiredApprovals(), "T2 defaults to two approvals");
        assertEquals(List.of("sre"), t2.requiredRoles());
        assertFalse(t2.mfaRequired());
        assertEquals(Duration.ofMinutes(10), t2.approvalTimeout());
        assertEquals(Duration.ofMinutes(2), t2.warrantTtl());

        Decision t1 = decide("policies:\n  - {name: a, condition: \"true\", risk_tier: T1}\n", call("x"));
        assertEquals(1, t1.requiredApprovals());
        assertEquals(PolicySet.DEFAULT_APPROVAL_TIMEOUT, t1.approvalTimeout());
        assertEquals(PolicySet.DEFAULT_WARRANT_TTL, t1.warrantTtl());

        Decision t3 = decide("policies:\n  - {name: a, condition: \"true\", risk_tier: T3}\n", call("x"));
        assertEquals(2, t3.requiredApprovals());
        assertTrue(t3.mfaRequired());

        Decision more = decide("policies:\n  - {name: a, condition: \"true\", risk_tier: T2, required_approvals: 3}\n", call("x"));
        assertEquals(3, more.requiredApprovals());

        Decision mfa = decide("policies:\n  - {name: a, condition: \"true\", risk_tier: T1, requires_mfa: true}\n", call("x"));
        assertTrue(mfa.mfaRequired(), "requires_mfa asks for MFA below T3 too");
    }

    @Test
    void t0IsAllowWithoutAnyone() {
        Decision d = decide(OPS, call("health_check"));
        assertEquals(Effect.ALLOW, d.effect());
        assertEquals(Tier.T0, d.tier());
        assertEquals(0, d.requiredApprovals());
        assertEquals(List.of(), d.requiredRoles());
    }

    @Test
    void defaultAppliesOnlyWhenNothingMatchesAndIsT1WhenUnset() {
        Decision implicit = decide(OPS, call("email_customers"));
        assertEquals(Tier.T1, implicit.tier());
        assertEquals(Effect.APPROVE, implicit.effect());
        assertTrue(implicit.isDefault());

        String withDefault = OPS + "default: T2\n";
        assertEquals(Tier.T2, decide(withDefault, call("email_customers")).tier());
        assertEquals(Tier.T0, decide(withDefault, call("health_check")).tier(), "a matched T0 rule is not raised by the default");

        String denyDefault = OPS + "default:\n  effect: deny\n  reason: not on the allow list\n";
        Decision denied = decide(denyDefault, call("email_customers"));
        assertEquals(Effect.DENY, denied.effect());
        assertEquals(Map.of("default", "not on the allow list"), denied.denyReasons());

        String mapDefault = OPS + "default:\n  risk_tier: T2\n  required_roles: [ops]\n  timeout: 5m\n";
        Decision d = decide(mapDefault, call("email_customers"));
        assertEquals(List.of("ops"), d.requiredRoles());
        assertEquals(Duration.ofMinutes(5), d.approvalTimeout());
    }

    @Test
    void decisionsCarryThePolicyHashAndAreSharedBetweenCalls() {
        PolicySet set = PolicyLoader.parse("p.yaml", OPS);
        CompiledPolicy p = PolicyCompiler.compile(set);
        Decision a = p.decide(call("health_check"));
        Decision b = p.decide(call("list_instances"));
        assertSame(a, b, "the same matched rules give the same cached decision");
        assertEquals(64, a.policyVersion().length());
        assertEquals(set.version(), a.policyVersion());
        assertEquals(Map.of("p.yaml", "2026-11-24"), set.fileVersions());
        PolicySet changed = PolicyLoader.parse("p.yaml", OPS.replace("replicas <= 25", "replicas <= 26"));
        assertNotEquals(set.version(), changed.version());
    }

    @Test
    void timeIsReadInThePolicyTimeZone() {
        String yaml = "timezone: Europe/Vienna\npolicies:\n  - {name: night, condition: \"time.hour == 4 and time.weekday == 'tuesday'\", risk_tier: T3}\n";
        // 03:30 UTC on Tuesday 2026-11-24 is 04:30 in Vienna (UTC+1 in November).
        PolicyRequest r = PolicyRequest.builder("x").time(Instant.parse("2026-11-24T03:30:00Z")).build();
        assertEquals(List.of("night"), decide(yaml, r).matchedRules());
        PolicyRequest utcMatch = PolicyRequest.builder("x").time(Instant.parse("2026-11-24T04:30:00Z")).build();
        assertEquals(List.of(), decide(yaml, utcMatch).matchedRules());
    }

    @Test
    void aDirectoryLoadsAsOneSetInFileNameOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("20-deny.yaml"), "policies:\n  - {name: no-delete, condition: \"action == 'delete'\", effect: deny, reason: never}\n");
        Files.writeString(dir.resolve("10-base.yml"), "default: T2\npolicies:\n  - {name: reads, condition: \"action == 'read'\", risk_tier: T0}\n");
        Files.writeString(dir.resolve("notes.txt"), "not a policy");
        PolicySet set = PolicyLoader.load(dir);
        assertEquals(List.of("reads", "no-delete"), set.rules().stream().map(Rule::name).toList());
        CompiledPolicy p = PolicyCompiler.compile(set);
        assertEquals(Effect.DENY, p.decide(call("delete")).effect());
        assertEquals(Tier.T2, p.decide(call("email")).tier());
        assertEquals(PolicyLoader.load(dir).version(), set.version());
    }

    @Test
    void aFailingArgumentGetterMakesTheAttributeMissingNotTheDecisionFail() {
        Object exploding = new Object() {
            @SuppressWarnings("unused")
            public Object getAmount() {
                throw new IllegalStateException("boom");
            }
        };
        Decision d = decide("policies:\n  - {name: big, condition: \"order.amount > 5\", risk_tier: T3}\n"
                + "  - {name: missing, condition: \"order.amount == null\", risk_tier: T2}\n", call("refund", "order", exploding));
        assertEquals(List.of("missing"), d.matchedRules());
    }

    @Test
    void largeSetsWithMoreThan64RulesDecideTheSame() {
        StringBuilder yaml = new StringBuilder("policies:\n");
        for (int i = 0; i < 150; i++) {
            yaml.append("  - {name: r").append(i).append(", condition: \"")
                    .append(i % 3 == 0 ? "action == 'a" + (i % 7) + "' and n > " + i : "n == " + i)
                    .append("\", risk_tier: T").append(i % 4).append("}\n");
        }
        PolicySet set = PolicyLoader.parse("big.yaml", yaml.toString());
        CompiledPolicy compiled = PolicyCompiler.compile(set);
        ReferencePolicy reference = new ReferencePolicy(set);
        for (int n = -1; n < 160; n++) {
            for (int a = 0; a < 8; a++) {
                PolicyRequest r = call("a" + a, "n", n);
                assertEquals(reference.decide(r), compiled.decide(r), "n=" + n + " a=" + a);
            }
        }
        // r0 needs action a0 and n > 0; r13 needs n == 13; r21 would need n > 21.
        assertEquals(List.of("r0", "r13"), compiled.decide(call("a0", "n", 13)).matchedRules());
    }

    @Test
    void aMinimumTierRaisesADecisionButNeverLowersOrUndoesADenial() {
        PolicySet set = PolicyLoader.parse("p.yaml", OPS);
        CompiledPolicy p = PolicyCompiler.compile(set);
        Decision read = p.decide(call("health_check"));
        Decision raised = read.atLeast(Tier.T2, "@GovernedAction(minimumTier = T2)");
        assertEquals(Effect.APPROVE, raised.effect());
        assertEquals(Tier.T2, raised.tier());
        assertEquals(2, raised.requiredApprovals());
        assertEquals(List.of("reads", "@GovernedAction(minimumTier = T2)"), raised.matchedRules());
        assertTrue(read.atLeast(Tier.T3, "floor").mfaRequired());
        Decision t2 = p.decide(PolicyRequest.builder("db_query").arg("sql", "update x").arg("table", "t").build());
        assertSame(t2, t2.atLeast(Tier.T1, "floor"), "a floor below the decision changes nothing");
        Decision deny = p.decide(call("db_query", "sql", "drop table x", "table", "x"));
        assertSame(deny, deny.atLeast(Tier.T3, "floor"));
        assertSame(read, read.atLeast(null, "none"));
    }

    @Test
    void loadingNeverHalfSucceeds() {
        String yaml = OPS + "  - name: broken\n    condition: \"action ==\"\n    risk_tier: T1\n";
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.parse("p.yaml", yaml));
        assertEquals(1, e.errors().size());
    }

    /** Issue 13: a boolean parameter and a rule written with 'true' must not disagree, or a guard becomes a grant. */
    @Test
    void booleansAndTheirTextCompareAlikeSoAGuardNeverFailsOpen() {
        String yaml = """
                policies:
                  - name: sensitive
                    condition: "action == 'export' and args.sensitive == 'true'"
                    risk_tier: T3
                  - name: routine
                    condition: "action == 'export' and not (args.sensitive == 'true')"
                    risk_tier: T0
                  - name: bare
                    condition: "action == 'flag' and args.on"
                    risk_tier: T2
                """;
        for (Object sensitive : new Object[]{true, Boolean.TRUE, "true"}) {
            Decision d = decide(yaml, call("export", "sensitive", sensitive));
            assertEquals(List.of("sensitive"), d.matchedRules(), "sensitive = " + sensitive + " (" + sensitive.getClass().getSimpleName() + ")");
            assertEquals(Tier.T3, d.tier());
        }
        for (Object notSensitive : new Object[]{false, "false", "FALSE"}) {
            assertEquals(List.of("routine"), decide(yaml, call("export", "sensitive", notSensitive)).matchedRules(), "sensitive = " + notSensitive);
        }
        // Text that is not a boolean word is not equal to one, and a missing argument matches neither side of the guard's test.
        assertEquals(List.of("routine"), decide(yaml, call("export", "sensitive", "yes")).matchedRules());
        assertEquals(List.of("routine"), decide(yaml, call("export")).matchedRules(), "missing: not (missing == x) is true, as documented");
        assertEquals(List.of("bare"), decide(yaml, call("flag", "on", "true")).matchedRules(), "the text 'true' is true in a condition");
        assertEquals(List.of("bare"), decide(yaml, call("flag", "on", true)).matchedRules());
        assertTrue(decide(yaml, call("flag", "on", "false")).matchedRules().isEmpty());
        assertTrue(decide(yaml, call("flag", "on", 1)).matchedRules().isEmpty(), "a number is not a boolean");
        // Symmetric, in lists too, and the checker accepts a literal comparison that can now be true.
        String other = """
                policies:
                  - {name: lit, condition: "args.f == true", risk_tier: T2}
                  - {name: listed, condition: "args.f in ['true', 'maybe']", risk_tier: T3}
                  - {name: literals, condition: "action == 'x' and 'TRUE' == true", risk_tier: T1}
                """;
        assertEquals(List.of("lit"), decide(other, call("y", "f", "True")).matchedRules(), "two texts compare as text, exactly");
        assertEquals(List.of("lit", "listed", "literals"), decide(other, call("x", "f", true)).matchedRules());
    }
}
