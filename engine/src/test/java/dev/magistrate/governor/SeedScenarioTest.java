package dev.magistrate.governor;

import dev.magistrate.audit.AuditEventType;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's scenarios, decided by a real YAML policy loaded and compiled by the dsl module. */
class SeedScenarioTest {

    /** Block scalars keep backslashes literal, so the regex below reaches the DSL as written there. */
    static final String POLICY_YAML = """
            version: "seed-scenarios"
            default: T1
            policies:
              - name: "Scale-out past 20 instances"
                condition: "action == 'scale_infrastructure' AND instances > 20"
                risk_tier: "T2"
                required_approvals: 2
                required_roles: ["senior_dev", "devops"]
                timeout: "30m"
              - name: "Terminating instances"
                condition: "action == 'terminate_instances'"
                risk_tier: "T2"
                required_roles: ["devops"]
              - name: "High-Cost Infrastructure"
                condition: "cost_impact > 5000"
                risk_tier: "T3"
                required_approvals: ["engineering_director", "cfo"]
                requires_mfa: true
              - name: "No drops"
                condition: >-
                  action == 'db_query' and args.sql matches '(?i)\\\\bdrop\\\\s+table\\\\b'
                effect: deny
                reason: "dropping tables is never done by an agent; ask a DBA"
              - name: "Refunds of 1000 or more"
                condition: "action == 'issue_refund' and amount >= 1000"
                risk_tier: "T2"
                required_roles: ["support_lead", "finance"]
                warrant_ttl: "2m"
              - name: "Auto-approve reads"
                condition: "action_type == 'read'"
                risk_tier: "T0"
            """;

    @TempDir
    Path dir;
    GovernorHarness h;
    final ExecutorService agents = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws IOException {
        Path policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, POLICY_YAML);
        CompiledPolicy policy = PolicyCompiler.compile(PolicyLoader.load(policyFile));
        h = new GovernorHarness(dir, policy);
    }

    @AfterEach
    void tearDown() {
        agents.shutdownNow();
        h.close();
    }

    private Future<Warrant> agentAsks(Intent intent) {
        Future<Warrant> f = agents.submit(() -> h.governor.authorize(intent));
        h.backend.awaitRequest(intent.id(), java.time.Duration.ofSeconds(5));
        return f;
    }

    @Test
    void scalingFrom10To25WaitsAtT2ForTwoApproversThenRuns() throws Exception {
        Intent intent = GovernorHarness.intent("scale_infrastructure").resource("asg/web-prod")
                .arg("service", "web").arg("current", 10).arg("instances", 25)
                .justification("traffic up 3x since 09:00").urgency("high").estimatedCost(850).build();
        Decision d = h.governor.decide(intent);
        assertEquals(Tier.T2, d.tier());
        assertEquals(List.of("Scale-out past 20 instances"), d.matchedRules());

        Future<Warrant> f = agentAsks(intent);
        assertTrue(h.backend.approve(intent.id(), "alice").accepted());
        Thread.sleep(30);
        assertFalse(f.isDone(), "one approval of two: the agent still waits");
        assertTrue(h.backend.approve(intent.id(), "bob").accepted());
        Warrant w = f.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("alice", "bob"), w.approvedBy());
        assertEquals(Tier.T2, w.tier());

        Execution run = h.governor.verify(Warrant.fromJson(w.toJson()), "scale_infrastructure",
                Map.of("instances", 25, "current", 10, "service", "web"));
        run.completed("scaled web to 25");
        assertEquals(AuditEventType.EXECUTION_COMPLETED, h.audit.types(intent.id()).get(h.audit.types(intent.id()).size() - 1));
        assertEquals("T2", h.only(intent.id(), AuditEventType.DECISION).fields().get("tier"));
    }

    @Test
    void terminatingStandbyInstancesIsDeniedByAnApproverAndTheCallerLearnsWhy() throws Exception {
        Intent intent = GovernorHarness.intent("terminate_instances")
                .arg("instance_ids", List.of("i-0standby1", "i-0standby2")).arg("reason", "idle for 6h")
                .justification("cut idle spend").build();
        Future<Warrant> f = agentAsks(intent);
        h.backend.deny(intent.id(), "bob", "the standby instances are the failover pool during the DDoS; keep them");
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        DeniedException denied = (DeniedException) e.getCause();
        assertEquals(DenialStage.APPROVAL, denied.stage());
        assertEquals("bob", denied.deniedBy());
        assertTrue(denied.getMessage().contains("approver 'bob'") && denied.getMessage().contains("failover pool during the DDoS"),
                denied.getMessage());
        assertEquals("approval", h.only(intent.id(), AuditEventType.INTENT_DENIED).fields().get("stage"));
    }

    @Test
    void droppingAnAuditTableIsHardDeniedByRule() {
        Intent intent = GovernorHarness.intent("db_query").arg("sql", "drop   TABLE audit_events;").build();
        DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(intent));
        assertEquals(DenialStage.POLICY, e.stage());
        assertEquals("No drops", e.deniedBy());
        assertTrue(e.getMessage().contains("never done by an agent"), e.getMessage());
        assertTrue(h.backend.pending().isEmpty(), "no approver is asked about a hard deny");
        assertEquals(Effect.DENY.wireName(), h.only(intent.id(), AuditEventType.DECISION).fields().get("effect"));

        Intent select = GovernorHarness.intent("db_query").arg("sql", "select * from audit_events where dropped = true").build();
        assertEquals(Effect.APPROVE, h.governor.decide(select).effect(), "a query that only mentions 'dropped' falls to the T1 default");
    }

    @Test
    void aRefundOf5000IsApprovedByTwoRoles() throws Exception {
        Intent intent = GovernorHarness.intent("issue_refund").agent("support-agent").resource("order/A-10023")
                .arg("order_id", "A-10023").arg("amount", 5000).arg("currency", "USD").build();
        Future<Warrant> f = agentAsks(intent);
        assertEquals("pending", h.backend.approve(intent.id(), "erin").state());
        assertEquals("pending", h.backend.approve(intent.id(), "alice").state(), "two approvals, but nobody from finance yet");
        assertEquals("granted", h.backend.approve(intent.id(), "dave").state());
        Warrant w = f.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("erin", "alice", "dave"), w.approvedBy());
        assertEquals(java.time.Duration.ofMinutes(2), java.time.Duration.between(w.issuedAt(), w.expiresAt()), "warrant_ttl from the rule");
        DeniedException more = assertThrows(DeniedException.class, () -> h.governor.verify(w, "issue_refund",
                Map.of("order_id", "A-10023", "amount", 50000, "currency", "USD")));
        assertEquals("args_mismatch", more.deniedBy());
        Intent again = GovernorHarness.intent("issue_refund").agent("support-agent")
                .arg("order_id", "A-10023").arg("amount", 5000).arg("currency", "USD").build();
        assertFalse(again.id().equals(intent.id()));
    }

    @Test
    void highCostInfrastructureNeedsMfaFromTheNamedRoles() throws Exception {
        Intent intent = GovernorHarness.intent("provision_cluster").arg("cost_impact", 12_000).arg("region", "eu-west-1").build();
        Future<Warrant> f = agentAsks(intent);
        assertTrue(h.backend.approve(intent.id(), "erin").rejection().contains("TOTP"));
        assertTrue(h.backend.approve(intent.id(), "erin", h.totp(GovernorHarness.ERIN_SECRET)).accepted());
        assertTrue(h.backend.approve(intent.id(), "dave", h.totp(GovernorHarness.DAVE_SECRET)).accepted());
        assertEquals(Tier.T3, f.get(5, TimeUnit.SECONDS).tier());
    }

    @Test
    void readsRunWithoutAnyone() {
        Intent intent = GovernorHarness.intent("get_dashboard").arg("action_type", "read").build();
        Warrant w = h.governor.authorize(intent);
        assertEquals(Tier.T0, w.tier());
        h.governor.verify(w, "get_dashboard", Map.of("action_type", "read")).completed(Map.of("panels", 12));
    }
}
