package dev.magistrate.engine;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.governor.DenialStage;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.intent.Intent;
import dev.magistrate.governor.Governor;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.signal.SignalsJmx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signals, denials in a row and shadow policies through Magistrate.open, on a real audit trail on disk. */
class DynamicRiskAndShadowTest {

    @TempDir
    Path tmp;

    static final String INCIDENT = """
            default: T0
            policies:
              - name: incident
                condition: "signal.error_rate > 0.05"
                raise_tier: 1
              - name: busy rollouts
                condition: "action == 'rollout' and signal.load > 3"
                raise_tier: 2
            """;

    private MagistrateSettings.Builder settings(String policy) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, policy);
        return MagistrateSettings.builder().policy(file).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys"))
                .agentId("ops-agent");
    }

    private List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    private <T extends AuditPayload> List<T> payloads(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (AuditEvent e : audit()) {
            for (AuditPayload step : e.payload().steps()) { // a T0 grant's CALL_GRANTED: its submission, decision and start
                if (type.isInstance(step)) out.add(type.cast(step));
            }
        }
        return out;
    }

    @Test
    void aPublishedSignalRaisesTheTierAndTheDecisionRecordsTheSignalsItRead() throws Exception {
        try (Magistrate m = Magistrate.open(settings(INCIDENT).signalsJmx(false).build())) {
            m.admit(m.intent("read").build()).completed("ok");
            m.signal("error_rate", 0.07);
            assertEquals(Map.of("error_rate", 0.07), m.signals());
            DeniedException raised = assertThrows(DeniedException.class, () -> m.admit(m.intent("read").build()));
            assertTrue(raised.getMessage().contains("no approval backend"), "T1 now, and no one can approve: " + raised.getMessage());
            m.clearSignal("error_rate");
            m.admit(m.intent("read").build()).completed("ok");
            assertThrows(IllegalArgumentException.class, () -> m.signal("error-rate", 1));
            assertThrows(IllegalArgumentException.class, () -> m.signal("error_rate", Double.NaN));
        }
        List<AuditPayload.Decision> d = payloads(AuditPayload.Decision.class);
        assertEquals(List.of("T0", "T1", "T0"), d.stream().map(AuditPayload.Decision::tier).toList());
        assertEquals(List.of("incident"), d.get(1).rules());
        assertEquals(List.of("signal.error_rate=missing"), d.get(0).signals());
        assertEquals(List.of("signal.error_rate=0.07"), d.get(1).signals(), "only what this decision read: not signal.load, a rollout rule's");
        assertEquals(List.of("signal.error_rate=missing"), d.get(2).signals());
    }

    @Test
    void theJmxBeanSetsAndClearsSignalsAndLeavesWithTheEngine() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(SignalsJmx.OBJECT_NAME);
        try (Magistrate m = Magistrate.open(settings(INCIDENT).build())) {
            assertTrue(server.isRegistered(name));
            server.invoke(name, "setSignal", new Object[]{"load", 5.0}, new String[]{String.class.getName(), double.class.getName()});
            assertEquals(Map.of("load", 5.0), server.getAttribute(name, "Signals"));
            assertEquals("T2", m.decide(m.intent("rollout").build()).tier().name());
            assertEquals("T0", m.decide(m.intent("read").build()).tier().name(), "the rollout rule's signal does not touch reads");
            server.invoke(name, "clearSignal", new Object[]{"load"}, new String[]{String.class.getName()});
            assertEquals("T0", m.decide(m.intent("rollout").build()).tier().name());
            Exception bad = assertThrows(Exception.class, () -> server.invoke(name, "setSignal", new Object[]{"x y", 1.0},
                    new String[]{String.class.getName(), double.class.getName()}));
            assertTrue(String.valueOf(bad.getCause()).contains("signal name 'x y'"), String.valueOf(bad.getCause()));
        }
        assertFalse(server.isRegistered(name), "closing unregisters");
        try (Magistrate m = Magistrate.open(settings(INCIDENT).signalsJmx(false).build())) {
            assertFalse(server.isRegistered(name), "the setting turns it off");
        }
    }

    @Test
    void systemPropertiesSetSignalsAtStartAndABadOneIsRefusedByName() throws Exception {
        System.setProperty("magistrate.signal.error_rate", "0.5");
        try (Magistrate m = Magistrate.open(settings(INCIDENT).signalsJmx(false).build())) {
            assertEquals("T1", m.decide(m.intent("read").build()).tier().name());
        } finally {
            System.clearProperty("magistrate.signal.error_rate");
        }
        System.setProperty("magistrate.signal.error_rate", "high");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Magistrate.open(settings(INCIDENT).signalsJmx(false).build()));
            assertTrue(e.getMessage().contains("system property magistrate.signal.error_rate=high"), e.getMessage());
        } finally {
            System.clearProperty("magistrate.signal.error_rate");
        }
        try (Magistrate m = Magistrate.open(settings(INCIDENT).signalsJmx(false).build())) {
            assertEquals("T0", m.decide(m.intent("read").build()).tier().name(), "the refused open left nothing behind");
        }
    }

    @Test
    void denialsInARowRaiseThisAgentsNextCallUntilACallIsGranted() throws Exception {
        String policy = """
                default: T0
                policies:
                  - name: no wipes
                    condition: "action == 'wipe'"
                    effect: deny
                    reason: never
                  - name: after two denials
                    condition: "action == 'read' and agent.denials_in_a_row >= 2"
                    raise_tier: 2
                """;
        try (Magistrate m = Magistrate.open(settings(policy).signalsJmx(false).build())) {
            m.admit(m.intent("read").build()).completed("ok");
            assertThrows(DeniedException.class, () -> m.admit(m.intent("wipe").build()));
            m.admit(m.intent("read").build()).completed("ok"); // one denial: not yet, and it resets the streak
            assertThrows(DeniedException.class, () -> m.admit(m.intent("wipe").build()));
            assertThrows(DeniedException.class, () -> m.admit(m.intent("wipe").build()));
            assertThrows(DeniedException.class, () -> m.admit(m.intent("read").build()), "T2 and no one to approve");
            m.admit(m.intent("read").agent("other-agent").build()).completed("ok"); // another agent's streak is its own
            m.admit(m.intent("ping").build()).completed("ok"); // granted: the streak starts again
            m.admit(m.intent("read").build()).completed("ok");
        }
        List<AuditPayload.Decision> reads = payloads(AuditPayload.Decision.class).stream().filter(d -> d.action().equals("read")).toList();
        assertEquals(List.of("T0", "T0", "T2", "T0", "T0"), reads.stream().map(AuditPayload.Decision::tier).toList());
        assertEquals(List.of("agent.denials_in_a_row=0"), reads.get(0).signals());
        assertEquals(List.of("agent.denials_in_a_row=1"), reads.get(1).signals());
        assertEquals(List.of("agent.denials_in_a_row=2"), reads.get(2).signals());
        assertEquals(List.of("agent.denials_in_a_row=0"), reads.get(3).signals());
        assertEquals(List.of("agent.denials_in_a_row=0"), reads.get(4).signals());
    }

    @Test
    void anIncidentDeclaredWhileACallWaitsForItsApproverStopsItAtTheRecheck() throws Exception {
        Path approvers = tmp.resolve("approvers.yaml");
        Files.writeString(approvers, "approvers:\n  - {id: alice, roles: [sre]}\n");
        String policy = "policies:\n  - name: deploys\n    condition: \"action == 'deploy'\"\n    risk_tier: T1\n" + INCIDENT.substring(INCIDENT.indexOf("  - name: incident"));
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (Magistrate m = Magistrate.open(settings(policy).approvals("programmatic").approvers(approvers).signalsJmx(false).build())) {
            ProgrammaticApprovalBackend backend = (ProgrammaticApprovalBackend) m.approvalBackend();
            Intent intent = m.intent("deploy").build();
            Future<Execution> call = caller.submit(() -> m.admit(intent));
            backend.awaitRequest(intent.id(), Duration.ofSeconds(10));
            m.signal("error_rate", 0.2);
            assertTrue(backend.approve(intent.id(), "alice").accepted());
            ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
            DeniedException d = (DeniedException) e.getCause();
            assertEquals(DenialStage.RECHECK, d.stage(), d.getMessage());
            assertTrue(d.getMessage().contains("it now needs T2"), d.getMessage());
        } finally {
            caller.shutdownNow();
        }
        assertTrue(payloads(AuditPayload.ExecutionStarted.class).isEmpty(), "the body never ran");
    }

    static final String WITH_SHADOW_RULE = """
            default: T0
            policies:
              - name: deploys
                condition: "action == 'deploy'"
                risk_tier: T0
              - name: freeze prod
                condition: "action == 'deploy' and args.env == 'prod'"
                effect: deny
                reason: prod is frozen
                shadow: true
            """;

    @Test
    void shadowRulesAreAuditedOnlyWhereTheyDifferAndNeverAffectTheCall() throws Exception {
        try (Magistrate m = Magistrate.open(settings(WITH_SHADOW_RULE).signalsJmx(false).build())) {
            assertTrue(m.describe().contains("shadow rules (1 shadow rules)"), m.describe());
            m.admit(m.intent("deploy").arg("env", "dev").build()).completed("deployed dev");
            m.admit(m.intent("deploy").arg("env", "prod").build()).completed("deployed prod"); // the live policy governs
        }
        List<AuditPayload.ShadowDecision> shadows = payloads(AuditPayload.ShadowDecision.class);
        assertEquals(1, shadows.size(), "only the call where live and shadow differ");
        AuditPayload.ShadowDecision s = shadows.get(0);
        assertEquals("deny", s.effect());
        assertEquals(List.of("deploys", "freeze prod"), s.rules());
        assertEquals(Magistrate.SHADOW_RULES, s.source());
        assertNull(s.error());
        assertEquals(payloads(AuditPayload.Decision.class).get(1).policyVersion(), s.policyVersion());
        List<AuditEvent> all = audit();
        int at = -1;
        for (int i = 0; i < all.size(); i++) if (all.get(i).payload() instanceof AuditPayload.ShadowDecision) at = i;
        // A T0 call's live decision is in its CALL_GRANTED entry.
        assertTrue(all.get(at - 1).payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.Decision),
                "right after the live decision of the same call");
        assertEquals(all.get(at - 1).intentId(), all.get(at).intentId());
        assertEquals(2, payloads(AuditPayload.ExecutionCompleted.class).size());
    }

    @Test
    void aSeparateShadowPolicyDecidesBesideTheLiveOne() throws Exception {
        Path candidate = tmp.resolve("candidate.yaml");
        Files.writeString(candidate, "default: T0\npolicies:\n  - name: reads need a look\n    condition: \"action == 'read'\"\n    risk_tier: T1\n");
        try (Magistrate m = Magistrate.open(settings("default: T0\npolicies: []\n").shadowPolicy(candidate).signalsJmx(false).build())) {
            m.admit(m.intent("read").build()).completed("ok");
            m.admit(m.intent("ping").build()).completed("ok");
        }
        List<AuditPayload.ShadowDecision> shadows = payloads(AuditPayload.ShadowDecision.class);
        assertEquals(1, shadows.size());
        assertEquals("T1", shadows.get(0).tier());
        assertEquals("approve", shadows.get(0).effect());
        assertEquals(Magistrate.SHADOW_POLICY, shadows.get(0).source());
        assertFalse(shadows.get(0).policyVersion().equals(payloads(AuditPayload.Decision.class).get(0).policyVersion()));
    }

    @Test
    void aBrokenShadowPolicyNeverDeniesACallAndIsAuditedAsBroken() throws Exception {
        Path candidate = tmp.resolve("candidate.yaml");
        Files.writeString(candidate, "policies:\n  - name: typo\n    condition: \"acton == 'read'\"\n    risk_tier: T1\n");
        try (Magistrate m = Magistrate.open(settings("default: T0\npolicies: []\n").shadowPolicy(candidate).signalsJmx(false).build())) {
            m.admit(m.intent("read").build()).completed("ok");
            // A shadow that throws while deciding: the same.
            m.governor().replaceShadow(new Governor.Shadow(new CompiledPolicy() {
                @Override
                public Decision decide(PolicyInput input) {
                    throw new IllegalStateException("shadow bug");
                }

                @Override
                public String version() {
                    return "candidate";
                }
            }, Magistrate.SHADOW_POLICY));
            m.admit(m.intent("read").build()).completed("ok");
        }
        assertEquals(2, payloads(AuditPayload.ExecutionCompleted.class).size(), "both calls ran");
        List<AuditPayload.ShadowDecision> shadows = payloads(AuditPayload.ShadowDecision.class);
        assertEquals(2, shadows.size());
        assertTrue(shadows.get(0).error().contains("candidate.yaml:3:"), shadows.get(0).error());
        assertTrue(shadows.get(1).error().contains("shadow bug"), shadows.get(1).error());
    }
}
