package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vienna-shaped seed policy loads unchanged and decides as docs/policy-language.md says. */
class SeedPolicyTest {

    static final String SEED = """
            policies:
              - name: "Production Deployments"
                condition: "action == 'deploy' AND environment == 'production'"
                risk_tier: "T2"
                required_approvals: 2
                required_roles: ["senior_dev", "devops"]
                timeout: "30m"
              - name: "High-Cost Infrastructure"
                condition: "cost_impact > 5000"
                risk_tier: "T3"
                required_approvals: ["engineering_director", "cfo"]
                requires_mfa: true
              - name: "Auto-approve reads"
                condition: "action_type == 'read'"
                risk_tier: "T0"
            """;

    final PolicySet set = PolicyLoader.parse("seed.yaml", SEED);
    final CompiledPolicy compiled = PolicyCompiler.compile(set);
    final CompiledPolicy reference = new ReferencePolicy(set);

    Decision decide(PolicyRequest r) {
        Decision d = compiled.decide(r);
        assertEquals(reference.decide(r), d, "compiled and reference decisions differ");
        return d;
    }

    @Test
    void productionDeployNeedsTwoApproversCoveringBothRoles() {
        Decision d = decide(PolicyRequest.builder("deploy").arg("environment", "production").build());
        assertEquals(Effect.APPROVE, d.effect());
        assertEquals(Tier.T2, d.tier());
        assertEquals(2, d.requiredApprovals());
        assertEquals(List.of("senior_dev", "devops"), d.requiredRoles());
        assertEquals(Duration.ofMinutes(30), d.approvalTimeout());
        assertFalse(d.mfaRequired());
        assertEquals(List.of("Production Deployments"), d.matchedRules());
    }

    @Test
    void highCostIsT3WithNamedApproversAndMfa() {
        Decision d = decide(PolicyRequest.builder("scale").arg("cost_impact", 47_000).build());
        assertEquals(Tier.T3, d.tier());
        assertEquals(2, d.requiredApprovals());
        assertEquals(List.of("engineering_director", "cfo"), d.requiredRoles());
        assertTrue(d.mfaRequired());
    }

    @Test
    void readsAreGrantedAtT0() {
        Decision d = decide(PolicyRequest.builder("list_instances").arg("action_type", "read").build());
        assertEquals(Effect.ALLOW, d.effect());
        assertEquals(Tier.T0, d.tier());
        assertEquals(0, d.requiredApprovals());
    }

    @Test
    void unmatchedCallsDefaultToOneApprovalNeverT0() {
        Decision d = decide(PolicyRequest.builder("email_customers").build());
        assertEquals(Effect.APPROVE, d.effect());
        assertEquals(Tier.T1, d.tier());
        assertEquals(1, d.requiredApprovals());
        assertTrue(d.isDefault());
    }

    @Test
    void highestMatchedTierWinsAndSettingsCombine() {
        Decision d = decide(PolicyRequest.builder("deploy").arg("environment", "production")
                .arg("cost_impact", "6000").arg("action_type", "read").build());
        assertEquals(Tier.T3, d.tier());
        assertEquals(List.of("Production Deployments", "High-Cost Infrastructure", "Auto-approve reads"), d.matchedRules());
        assertEquals(List.of("senior_dev", "devops", "engineering_director", "cfo"), d.requiredRoles());
        assertEquals(2, d.requiredApprovals());
        assertTrue(d.mfaRequired());
        assertEquals(Duration.ofMinutes(30), d.approvalTimeout());
    }
}
