package dev.magistrate.spring;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.policy.PolicyException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The starter in an application context: built from magistrate.*, governing beans through AOP, failing the start on a broken policy. */
class MagistrateAutoConfigurationTest {

    static final String POLICY = """
            policies:
              - name: "Reads"
                condition: "action == 'current_capacity'"
                risk_tier: T0
              - name: "Small scale-outs"
                condition: "action == 'scale_service' and instances <= 25"
                risk_tier: T0
              - name: "Scale-out ceiling"
                condition: "action == 'scale_service' and instances > 25"
                effect: deny
                reason: "an agent may run at most 25 instances. Ask for 25 or fewer."
              - name: "Restarts"
                condition: "action == 'restart'"
                risk_tier: T0
              - name: "Never prod"
                condition: "action == 'terminate_instances' and 'i-prod' in instances"
                effect: deny
                reason: "not prod"
              - name: "Runbooks"
                condition: "action == 'runbook'"
                risk_tier: T0
              - name: "Terminations need a person"
                condition: "action == 'terminate_instances'"
                risk_tier: T1
            """;

    @TempDir
    Path tmp;

    private ApplicationContextRunner runner(String policy, String... properties) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, policy);
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(MagistrateAutoConfiguration.class))
                .withBean(OpsTools.class)
                .withPropertyValues("magistrate.policy=" + file, "magistrate.audit.dir=" + tmp.resolve("audit"),
                        "magistrate.keys.dir=" + tmp.resolve("keys"), "magistrate.agent.id=spring-ops")
                .withPropertyValues(properties);
    }

    private List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    @Test
    void anAllowedCallRunsAndADeniedOneThrowsCallDeniedExceptionBothAudited() throws Exception {
        runner(POLICY).run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            assertTrue(AopUtils.isCglibProxy(tools), "a class proxy, so Spring AI can call the @Tool methods it finds on the class");
            CallDeniedException denied = assertThrows(CallDeniedException.class, () -> tools.scale("web", 200, "CPU at 97%"));
            assertTrue(denied.getMessage().startsWith("DENIED: 'scale_service' was not allowed by policy rule 'Scale-out ceiling': "
                    + "an agent may run at most 25 instances. Ask for 25 or fewer. No approver can override this"), denied.getMessage());
            assertEquals(10, tools.instances("web"), "the body did not run");
            assertEquals("web now runs 25 instances", tools.scale("web", 25, "real traffic needs 25"));
            assertEquals(25, tools.currentCapacity("web"), "a named Spring AI @Tool, governed as current_capacity");
        });
        List<AuditEvent> events = audit();
        List<AuditEventType> types = events.stream().map(AuditEvent::type).toList();
        assertEquals(List.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.INTENT_DENIED), types.subList(0, 3));
        assertEquals(2, types.stream().filter(t -> t == AuditEventType.EXECUTION_COMPLETED).count(), types::toString);
        AuditEvent first = events.get(0);
        assertEquals("scale_service", first.fields().get("action"));
        assertEquals("spring-ops", first.fields().get("agent"));
        assertEquals("CPU at 97%", first.fields().get("justification"));
        assertTrue(events.stream().anyMatch(e -> "current_capacity".equals(e.fields().get("action"))), events::toString);
    }

    @Test
    void fallbackActionsReturnTheDenialAsTheResultAndFailuresAreRecorded() throws Exception {
        runner(POLICY, "magistrate.fallback.actions=scale_service,restart").run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            assertTrue(tools.scale("web", 200, "spike").startsWith("DENIED: 'scale_service' was not allowed by policy rule 'Scale-out ceiling'"));
            // An unnamed @Tool is its method's name; its exception passes through and closes the intent as failed.
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> tools.restart("db"));
            assertEquals("db cannot restart now", thrown.getMessage());
            assertThrows(CallDeniedException.class, () -> tools.terminate(List.of("i-prod")), "not a fallback action: it throws");
        });
        List<AuditEventType> types = audit().stream().map(AuditEvent::type).toList();
        assertTrue(types.contains(AuditEventType.EXECUTION_FAILED), types::toString);
    }

    @Test
    void anArgumentThatCanChangeAfterTheDecisionIsRefusedAndANestedCallIsLinkedToItsParent() throws Exception {
        runner(POLICY).run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            CallDeniedException refused = assertThrows(CallDeniedException.class, () -> tools.note(new StringBuilder("x")));
            assertTrue(refused.getMessage().startsWith("DENIED: 'note' was not allowed because its argument 'text' cannot be governed: "
                    + "java.lang.StringBuilder can change after the policy has seen it"), refused.getMessage());
            tools.setSelf(tools);
            assertEquals("web restarted", tools.runbook("web"));
        });
        List<AuditEvent> events = audit();
        List<AuditEvent> submitted = events.stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).toList();
        assertEquals(List.of("note", "runbook", "restart"), submitted.stream().map(e -> e.fields().get("action")).toList(),
                "the refused call is in the audit trail too");
        String note = submitted.get(0).intentId();
        assertTrue(events.stream().anyMatch(e -> e.intentId().equals(note) && e.type() == AuditEventType.INTENT_DENIED
                && "ungovernable".equals(e.fields().get("stage"))), "audited as refused: " + events);
        assertTrue(events.stream().noneMatch(e -> e.intentId().equals(note) && e.type().steps().contains(AuditEventType.DECISION)), "never decided");
        assertEquals(submitted.get(1).intentId(), submitted.get(2).fields().get("parent_intent_id"), submitted::toString);
    }

    @Test
    void theBodyRunsOnWhatTheApproverApprovedAndAQuestionReachesTheCallerAsCallNeedsInformation() throws Exception {
        Path approvers = Files.writeString(tmp.resolve("approvers.yaml"), "approvers:\n  - id: sam\n    name: Sam\n    roles: [sre]\n");
        String scaleOutsNeedAPerson = "policies:\n  - name: scale-outs\n    condition: \"action == 'scale_service'\"\n    risk_tier: T1\n";
        runner(scaleOutsNeedAPerson, "magistrate.approvals=programmatic", "magistrate.approvers=" + approvers).run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) context.getBean(Magistrate.class).approvalBackend();
            ExecutorService agent = Executors.newSingleThreadExecutor();
            try {
                Future<String> edited = agent.submit(() -> tools.scale("web", 200, "CPU at 97%"));
                VoteResult vote = desk.vote(pending(desk).intentId(), Vote.approve("sam").withEdits(Map.of("instances", 25)));
                assertTrue(vote.accepted(), vote::toString);
                assertEquals("web now runs 25 instances", edited.get(10, TimeUnit.SECONDS), "the body ran on the approved 25");
                assertEquals(25, tools.instances("web"));

                Future<String> asked = agent.submit(() -> tools.scale("web", 40, "more traffic"));
                desk.vote(pending(desk).intentId(), Vote.askForMoreInformation("sam", "Why 40?"));
                ExecutionException e = assertThrows(ExecutionException.class, () -> asked.get(10, TimeUnit.SECONDS));
                CallNeedsInformationException question = assertInstanceOf(CallNeedsInformationException.class, e.getCause());
                assertEquals("Why 40?", question.question());
                assertEquals(25, tools.instances("web"), "the call did not run");
                assertEquals("sam", question.approver());
            } finally {
                agent.shutdownNow();
            }
        });
    }

    private static ApprovalRequest pending(ProgrammaticApprovalBackend desk) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (!desk.pending().isEmpty()) return desk.pending().get(0);
            Thread.sleep(10);
        }
        throw new AssertionError("no request reached the approvers");
    }

    @Test
    void anUnknownAnnotationTypeToGovernFailsTheStart() throws Exception {
        runner(POLICY, "magistrate.govern.annotations=com.example.NoSuchTool").run(context -> assertTrue(context.getStartupFailure().getMessage()
                .contains("magistrate.govern.annotations: no annotation type 'com.example.NoSuchTool' on the class path"),
                context.getStartupFailure()::toString));
    }

    @Test
    void aBrokenPolicyFailsTheStartWithFileLineAndColumn() throws Exception {
        runner("policies:\n  - name: typo\n    condition: \"agnet == 'x'\"\n").run(context -> {
            Throwable failure = context.getStartupFailure();
            assertNotNull(failure, "the context must not start");
            PolicyException cause = assertInstanceOf(PolicyException.class, rootCause(failure));
            assertTrue(cause.getMessage().contains("policy.yaml:3:17: unknown name 'agnet'"), cause.getMessage());
            assertTrue(failure.getMessage().contains("policy.yaml:3:17"), failure.getMessage());
            PolicyFailureAnalyzer analyzer = new PolicyFailureAnalyzer();
            assertTrue(analyzer.analyze(failure).getDescription().contains("policy.yaml:3:17: unknown name 'agnet'"));
        });
    }

    @Test
    void noPolicyConfiguredFailsTheStart() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MagistrateAutoConfiguration.class))
                .withPropertyValues("magistrate.audit.dir=" + tmp.resolve("audit"), "magistrate.keys.dir=" + tmp.resolve("keys"))
                .run(context -> assertTrue(context.getStartupFailure().getMessage().contains("no policy is configured (set magistrate.policy)"),
                        context.getStartupFailure()::toString));
    }

    @Test
    void metersCountDecisionsAndDenialsAndTimeCallsAndTheHealthSaysWhatIsLoaded() throws Exception {
        runner(POLICY, "magistrate.approvals=auto").withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            OpsTools tools = context.getBean(OpsTools.class);
            assertThrows(CallDeniedException.class, () -> tools.scale("web", 200, "spike"));
            tools.scale("web", 20, "ok");
            assertEquals("terminated [i-dev-1]", tools.terminate(List.of("i-dev-1")));
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertEquals(1.0, meters.get("magistrate.decisions").tags("action", "scale_service", "tier", "T3", "effect", "deny").counter().count());
            assertEquals(1.0, meters.get("magistrate.decisions").tags("action", "scale_service", "tier", "T0", "effect", "allow").counter().count());
            assertEquals(1.0, meters.get("magistrate.denials").tags("action", "scale_service", "stage", "policy").counter().count());
            assertEquals(1, meters.get("magistrate.calls").tags("action", "scale_service", "outcome", "completed").timer().count());
            assertEquals(1, meters.get("magistrate.approval.wait").tags("action", "terminate_instances", "outcome", "granted").timer().count());

            Health health = context.getBean(MagistrateHealthIndicator.class).health(true);
            assertEquals(Status.UP, health.getStatus());
            assertEquals(context.getBean(Magistrate.class).governor().policy().version(), health.getDetails().get("policyVersion"));
            assertEquals("auto", health.getDetails().get("approvals"));
        });
    }

    @Test
    void theConfigurationProcessorDescribesEveryMagistrateProperty() throws Exception {
        String json;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertNotNull(in, "spring-configuration-metadata.json generated");
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String key : List.of("magistrate.policy", "magistrate.audit.dir", "magistrate.audit.durability", "magistrate.keys.dir",
                "magistrate.approvals", "magistrate.approvers", "magistrate.agent.id", "magistrate.console.port", "magistrate.console.file",
                "magistrate.console.chat", "magistrate.enabled",
                "magistrate.govern.annotations", "magistrate.fallback.actions")) {
            assertTrue(json.contains("\"name\": \"" + key + "\""), key + " in " + json);
        }
        assertTrue(json.contains("What a crash can lose"), "descriptions come from the Javadoc");
    }

    @Test
    void missingJvmFlagsForTheAuditTrailAreNamedNotLeftToChronicle() {
        // The test JVM has them (surefire's argLine): the check passes here, and names exactly what is missing elsewhere.
        ChronicleAccess.require();
        assertEquals("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", ChronicleAccess.missingFlags(p -> !p.equals("sun.nio.ch")));
        assertEquals(7, ChronicleAccess.flags().split(" ").length);
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
