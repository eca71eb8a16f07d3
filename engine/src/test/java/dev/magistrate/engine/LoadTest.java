package dev.magistrate.engine;

import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Execution;
import dev.magistrate.keys.KeyDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 1,000 threads of mixed tiers against one engine with scripted approvers, for a bounded time:
 * every intent ends in exactly one final state, the threads and file handles the engine used are
 * given back, and the log verifies.
 */
class LoadTest {

    private static final int THREADS = 1_000;
    private static final int CALLS_PER_THREAD = 3;

    @TempDir
    Path tmp;

    private static long openFileDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static void counted(dev.magistrate.approval.VoteResult result, ApprovalRequest r, List<String> unexpected) {
        if (!result.accepted()) unexpected.add("vote on " + r.intent().action() + " " + r.intentId() + " refused: " + result);
    }

    @Test
    void aThousandThreadsOfMixedTiersEachEndInExactlyOneFinalStateAndNothingLeaks() throws Exception {
        Files.writeString(tmp.resolve("policy.yaml"), """
                default: T1
                policies:
                  - name: reads
                    condition: "action == 'read'"
                    risk_tier: T0
                  - name: deploys
                    condition: "action == 'deploy'"
                    risk_tier: T1
                    required_roles: [sre]
                    timeout: "90s"
                  - name: refunds
                    condition: "action == 'refund'"
                    risk_tier: T2
                    required_approvals: 2
                    required_roles: [finance]
                    timeout: "90s"
                  - name: nobody answers
                    condition: "action == 'slow'"
                    risk_tier: T1
                    timeout: "1s"
                  - name: drops
                    condition: "action == 'drop'"
                    effect: deny
                    reason: "never"
                """);
        Files.writeString(tmp.resolve("approvers.yaml"), """
                approvers:
                  - id: alice
                    roles: [sre]
                  - id: carol
                    roles: [finance]
                  - id: dave
                    roles: [finance]
                """);
        long threadsBefore = Thread.activeCount();
        long fdsBefore = openFileDescriptors();
        String[] actions = {"read", "deploy", "refund", "drop", "slow", "refund-denied"};
        Map<String, String> outcomes = new ConcurrentHashMap<>();
        List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> expected = new HashMap<>();
        for (int t = 0; t < THREADS; t++) {
            for (int c = 0; c < CALLS_PER_THREAD; c++) {
                String what = actions[(t + c) % actions.length];
                expected.merge((what.equals("drop") || what.equals("slow") || what.equals("refund-denied") ? "denied " : "ran ") + what, 1, Integer::sum);
            }
        }
        MagistrateSettings settings = MagistrateSettings.builder().policy(tmp.resolve("policy.yaml")).approvals("programmatic")
                .approvers(tmp.resolve("approvers.yaml")).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys")).build();
        long started = System.nanoTime();
        try (Magistrate m = Magistrate.open(settings)) {
            ProgrammaticApprovalBackend desk = (ProgrammaticApprovalBackend) m.approvalBackend();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread approvers = new Thread(() -> {
                Map<String, Integer> seen = new HashMap<>();
                while (running.get()) {
                    for (ApprovalRequest r : desk.pending()) {
                        if (seen.merge(r.intentId(), 1, Integer::sum) > 1) continue;
                        String what = (String) r.intent().args().get("what");
                        try {
                        switch (r.intent().action()) {
                            case "deploy" -> counted(desk.approve(r.intentId(), "alice"), r, unexpected);
                            case "refund" -> {
                                if ("refund-denied".equals(what)) {
                                    counted(desk.deny(r.intentId(), "carol", "not this one"), r, unexpected);
                                } else {
                                    counted(desk.approve(r.intentId(), "carol"), r, unexpected);
                                    counted(desk.approve(r.intentId(), "dave"), r, unexpected);
                                }
                            }
                            default -> { } // 'slow': nobody answers, it times out
                        }
                        } catch (Throwable t) {
                            unexpected.add("voting on " + r.intentId() + " threw " + t);
                        }
                    }
                    Thread.onSpinWait();
                }
            }, "scripted-approvers");
            approvers.start();
            CountDownLatch done = new CountDownLatch(THREADS);
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int seed = t;
                Thread caller = new Thread(() -> {
                    try {
                        for (int c = 0; c < CALLS_PER_THREAD; c++) {
                            String what = actions[(seed + c) % actions.length];
                            String action = what.equals("refund-denied") ? "refund" : what;
                            var intent = m.intent(action).arg("what", what).arg("n", seed * 10 + c).build();
                            try {
                                Execution run = m.admit(intent);
                                run.completed("ok");
                                outcomes.put(intent.id(), "ran " + what);
                            } catch (DeniedException e) {
                                outcomes.put(intent.id(), "denied " + what);
                                if (!what.equals("drop") && !what.equals("slow") && !what.equals("refund-denied")) {
                                    unexpected.add(what + ": " + e.getMessage());
                                }
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                }, "caller-" + t);
                callers.add(caller);
                caller.start();
            }
            assertTrue(done.await(180, TimeUnit.SECONDS), "every caller finished within the bound");
            running.set(false);
            approvers.join();
            for (Thread c : callers) c.join();
            assertEquals(0, m.governor().pendingApprovals(), "nothing is left waiting");
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        // Exactly one final state per intent, and the one the caller saw.
        Map<String, List<AuditEventType>> finals = new HashMap<>();
        long entries = 0;
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) {
                entries++;
                AuditEvent e = d.event();
                if (e.type() == AuditEventType.EXECUTION_COMPLETED || e.type() == AuditEventType.INTENT_DENIED
                        || e.type() == AuditEventType.INTENT_TIMED_OUT || e.type() == AuditEventType.EXECUTION_FAILED) {
                    finals.computeIfAbsent(e.intentId(), k -> new ArrayList<>()).add(e.type());
                }
            }
        }
        assertEquals(THREADS * CALLS_PER_THREAD, outcomes.size());
        assertEquals(outcomes.keySet(), finals.keySet());
        Map<String, Integer> byOutcome = new HashMap<>();
        for (Map.Entry<String, String> o : outcomes.entrySet()) {
            List<AuditEventType> f = finals.get(o.getKey());
            assertEquals(1, f.size(), o + " has final states " + f);
            boolean ran = f.get(0) == AuditEventType.EXECUTION_COMPLETED;
            assertEquals(ran, o.getValue().startsWith("ran "), o + " vs " + f);
            byOutcome.merge(o.getValue(), 1, Integer::sum);
        }
        assertEquals(List.of(), unexpected);
        assertEquals(expected, byOutcome);

        VerificationResult v = new AuditLogVerifier(KeyDirectory.open(tmp.resolve("keys")).logKeys().verifier()).verify(tmp.resolve("audit"));
        assertEquals(VerificationResult.Status.OK, v.status(), v.summary());
        assertEquals(entries, v.entries());

        // What the engine started it gave back (threads linger a moment after close; file handles do not).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.activeCount() > threadsBefore + 2 && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(Thread.activeCount() <= threadsBefore + 2, "threads before " + threadsBefore + ", after " + Thread.activeCount());
        if (fdsBefore >= 0) assertTrue(openFileDescriptors() <= fdsBefore + 2, "file handles before " + fdsBefore + ", after " + openFileDescriptors());
        System.out.println("load: " + THREADS + " threads, " + outcomes.size() + " intents, " + entries + " audit entries in " + elapsedMs + " ms; " + byOutcome);
    }
}
