package dev.magistrate.engine;

import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.DenialStage;
import dev.magistrate.governor.Execution;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 13, hot reload: the policy files change while the engine decides; a change that loads takes over with one swap, a
 * change that does not is refused with its location, audited, and the last good version keeps deciding. Real files, a
 * real audit log on disk, the real watcher.
 */
class PolicyReloadTest {

    /** Scale-ups up to 10 instances run at T0. */
    static final String ALLOWING = """
            policies:
              - name: small scale-ups
                condition: "action == 'scale_service' and args.instances <= 10"
                risk_tier: T0
            """;
    /** The same file after a good edit: more than 5 instances is now denied. */
    static final String DENYING = """
            policies:
              - name: small scale-ups
                condition: "action == 'scale_service' and args.instances <= 5"
                risk_tier: T0
              - name: scale-up freeze
                condition: "action == 'scale_service' and args.instances > 5"
                effect: deny
                reason: "no scale-ups above 5 during the freeze"
            """;
    /** A bad edit: the second rule's condition does not parse (line 6). */
    static final String BROKEN = """
            policies:
              - name: small scale-ups
                condition: "action == 'scale_service' and args.instances <= 5"
                risk_tier: T0
              - name: scale-up freeze
                condition: "action == 'scale_service' and args.instances >"
                effect: deny
            """;

    static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private MagistrateSettings.Builder settings(String policy) throws Exception {
        Files.writeString(tmp.resolve("policy.yaml"), policy);
        return MagistrateSettings.builder().policy(tmp.resolve("policy.yaml")).auditDirectory(tmp.resolve("audit"))
                .keysDirectory(tmp.resolve("keys")).agentId("ops-agent");
    }

    private List<AuditEvent> policyEvents() {
        List<AuditEvent> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) {
                if (d.event().intentId().equals(AuditPayload.PolicyLoaded.POLICY_INTENT_ID)) out.add(d.event());
            }
        }
        return out;
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) fail("not within " + DEADLINE.toSeconds() + " s: " + what);
            Thread.sleep(20);
        }
    }

    /** Writes the way most editors save: a temporary file beside the policy, renamed over it. */
    private void saveByRename(String text) throws Exception {
        Path temp = tmp.resolve(".policy.yaml.swp");
        Files.writeString(temp, text);
        Files.move(temp, tmp.resolve("policy.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aBadEditUnderLoadKeepsTheOldVersionDecidingAndAGoodEditTakesOverWithoutAFailedDecision() throws Exception {
        try (Magistrate m = Magistrate.open(settings(ALLOWING).watchPolicy(true).build())) {
            String v1 = m.governor().policy().version();
            AtomicBoolean running = new AtomicBoolean(true);
            Map<String, AtomicLong> byVersion = new ConcurrentHashMap<>();
            List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService deciders = Executors.newFixedThreadPool(4);
            List<Future<?>> running4 = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                running4.add(deciders.submit(() -> {
                    Intent eight = m.intent("scale_service").arg("service", "web").arg("instances", 8).build();
                    while (running.get()) {
                        Decision d = m.decide(eight);
                        byVersion.computeIfAbsent(d.policyVersion(), v -> new AtomicLong()).incrementAndGet();
                        boolean asV1 = d.policyVersion().equals(v1) && d.effect() == Effect.ALLOW;
                        boolean asV2 = !d.policyVersion().equals(v1) && d.effect() == Effect.DENY
                                && d.denyReasons().containsKey("scale-up freeze");
                        if (!asV1 && !asV2 && wrong.size() < 10) wrong.add(d.toString());
                    }
                }));
            }
            await("decisions under v1", () -> byVersion.getOrDefault(v1, new AtomicLong()).get() > 1000);

            Files.writeString(tmp.resolve("policy.yaml"), BROKEN);
            await("the bad edit refused and audited", () -> policyEvents().stream().anyMatch(e -> e.type() == AuditEventType.POLICY_REJECTED));
            long v1Before = byVersion.get(v1).get();
            await("v1 still deciding after the refusal", () -> byVersion.get(v1).get() > v1Before + 1000);
            assertEquals(v1, m.governor().policy().version(), "the last good version keeps deciding");

            saveByRename(DENYING);
            await("the good edit in force", () -> !m.governor().policy().version().equals(v1));
            String v2 = m.governor().policy().version();
            await("decisions under v2", () -> byVersion.getOrDefault(v2, new AtomicLong()).get() > 1000);
            running.set(false);
            for (Future<?> f : running4) f.get(10, TimeUnit.SECONDS);
            deciders.shutdown();

            assertEquals(List.of(), wrong, "every decision was made by v1 or v2 as written, never failed closed");
            assertEquals(Set.of(v1, v2), byVersion.keySet());

            // An in-place write is a truncation then a write: on a loaded machine the watcher may see them apart, and refuse twice.
            List<AuditEvent> events = policyEvents();
            AuditEvent last = events.get(events.size() - 1);
            assertEquals(AuditEventType.POLICY_LOADED, last.type(), "unchanged files are not a reload: " + events);
            List<AuditEvent> refusals = events.subList(0, events.size() - 1);
            assertFalse(refusals.isEmpty());
            for (AuditEvent e : refusals) {
                AuditPayload.PolicyRejected refused = assertInstanceOf(AuditPayload.PolicyRejected.class, e.payload());
                assertEquals(LivePolicy.FILE_WATCHER, refused.trigger());
                assertEquals(v1, refused.keptVersion());
            }
            String error = ((AuditPayload.PolicyRejected) refusals.get(refusals.size() - 1).payload()).error();
            assertTrue(error.matches("(?s).*policy\\.yaml:6:\\d+: .*"), error);
            AuditPayload.PolicyLoaded loaded = (AuditPayload.PolicyLoaded) last.payload();
            assertEquals(LivePolicy.FILE_WATCHER, loaded.trigger());
            assertEquals(v1, loaded.previousVersion());
            assertEquals(v2, loaded.version());
            assertEquals(2, loaded.rules());
        }
    }

    @Test
    void withoutWatchingAChangedFileWaitsForAnExplicitReloadWhichRecordsWhoAsked() throws Exception {
        try (Magistrate m = Magistrate.open(settings(ALLOWING).build())) {
            String v1 = m.governor().policy().version();
            Files.writeString(tmp.resolve("policy.yaml"), DENYING);
            LivePolicy.Outcome outcome = m.reloadPolicy("cli: riya");
            assertTrue(outcome.loaded(), String.valueOf(outcome.error()));
            assertEquals(v1, outcome.previousVersion(), "nothing reloaded by itself: watching is off by default");
            assertEquals(outcome.version(), m.governor().policy().version());
            DeniedException denied = assertThrows(DeniedException.class,
                    () -> m.admit(m.intent("scale_service").arg("service", "web").arg("instances", 8).build()));
            assertTrue(denied.getMessage().contains("no scale-ups above 5 during the freeze"), denied.getMessage());

            Files.writeString(tmp.resolve("policy.yaml"), BROKEN);
            LivePolicy.Outcome refused = m.reloadPolicy("console: riya");
            assertFalse(refused.loaded());
            assertEquals(outcome.version(), refused.versionInForce());
            assertTrue(refused.error().contains("policy.yaml:6:"), refused.error());

            List<AuditEvent> events = policyEvents();
            assertEquals(List.of(AuditEventType.POLICY_LOADED, AuditEventType.POLICY_REJECTED), events.stream().map(AuditEvent::type).toList());
            assertEquals("cli: riya", ((AuditPayload.PolicyLoaded) events.get(0).payload()).trigger());
            assertEquals("console: riya", ((AuditPayload.PolicyRejected) events.get(1).payload()).trigger());
        }
    }

    @Test
    void aDeletedPolicyFileIsRefusedAndTheLastGoodVersionKeepsDeciding() throws Exception {
        try (Magistrate m = Magistrate.open(settings(ALLOWING).watchPolicy(true).build())) {
            String v1 = m.governor().policy().version();
            Files.delete(tmp.resolve("policy.yaml"));
            await("the missing file refused", () -> policyEvents().stream().anyMatch(e -> e.type() == AuditEventType.POLICY_REJECTED));
            assertEquals(v1, m.governor().policy().version());
            Execution run = m.admit(m.intent("scale_service").arg("service", "web").arg("instances", 8).build());
            run.completed("scaled");
            saveByRename(ALLOWING);
            LivePolicy.Outcome again = m.reloadPolicy("cli: riya");
            assertTrue(again.loaded());
            assertEquals(v1, again.version(), "the same text is the same version");
        }
    }

    @Test
    void aReloadThatTurnsAWaitingCallIntoADenialStopsItAtExecution() throws Exception {
        Files.writeString(tmp.resolve("approvers.yaml"), """
                approvers:
                  - id: alice
                    roles: [sre]
                """);
        String approving = """
                policies:
                  - name: big scale-ups
                    condition: "action == 'scale_service' and args.instances > 10"
                    risk_tier: T1
                """;
        try (Magistrate m = Magistrate.open(settings(approving).approvals("programmatic").approvers(tmp.resolve("approvers.yaml")).build())) {
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            Intent forty = m.intent("scale_service").arg("service", "web").arg("instances", 40).build();
            ExecutorService caller = Executors.newSingleThreadExecutor();
            try {
                Future<Execution> waiting = caller.submit(() -> m.admit(forty));
                desk.awaitRequest(forty.id(), Duration.ofSeconds(10));
                Files.writeString(tmp.resolve("policy.yaml"), approving + DENYING.substring("policies:\n".length()));
                assertTrue(m.reloadPolicy("console: riya").loaded());
                assertTrue(desk.approve(forty.id(), "alice").accepted());
                ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
                DeniedException d = assertInstanceOf(DeniedException.class, e.getCause());
                assertEquals(DenialStage.RECHECK, d.stage(), d.getMessage());
                assertTrue(d.getMessage().contains("no scale-ups above 5 during the freeze"), d.getMessage());
            } finally {
                caller.shutdownNow();
            }
            assertNotEquals(0, policyEvents().size());
        }
    }
}
