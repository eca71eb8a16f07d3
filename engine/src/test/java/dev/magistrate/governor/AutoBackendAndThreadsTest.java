package dev.magistrate.governor;

import dev.magistrate.approval.AutoApprovalBackend;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoBackendAndThreadsTest {

    @TempDir
    Path dir;
    GovernorHarness h;

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
    }

    /** Collects what the auto backend logs through System.Logger (backed by java.util.logging here). */
    private static final class Captured extends Handler {
        final List<LogRecord> records = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void autoBackendApprovesAboveT0LoudlyButCannotSupplyMfa() {
        Logger jul = Logger.getLogger(AutoApprovalBackend.class.getName());
        Captured captured = new Captured();
        jul.addHandler(captured);
        try {
            h = new GovernorHarness(dir, new TestPolicy("auto-test", in -> in.action().equals("wipe_cluster")
                    ? TestPolicy.approve(Tier.T3, 2, List.of("cfo"), true, Duration.ofSeconds(5))
                    : TestPolicy.approve(Tier.T2, 2, List.of(), false, Duration.ofSeconds(5))),
                    new AutoApprovalBackend(), null);
            Intent t2 = GovernorHarness.intent("deploy").build();
            Warrant w = h.governor.authorize(t2);
            assertEquals(List.of("auto"), w.approvedBy());
            assertTrue(captured.records.stream().anyMatch(r -> r.getLevel() == Level.WARNING
                    && r.getMessage().contains("WITHOUT A HUMAN")), "a loud warning for every approval above T0");

            Intent t3 = GovernorHarness.intent("wipe_cluster").build();
            DeniedException e = assertThrows(DeniedException.class, () -> h.governor.authorize(t3));
            assertTrue(e.getMessage().contains("TOTP"), e.getMessage());
            assertEquals(0, h.count(t3.id(), AuditEventType.WARRANT_ISSUED));
        } finally {
            jul.removeHandler(captured);
        }
    }

    /**
     * Many callers waiting at once. On a JDK with virtual threads they run on virtual threads: if
     * waiting pinned carriers, the first few waiters would occupy every carrier and the rest could
     * never submit, so the requests below would never arrive. On JDK 17 they run on platform threads.
     */
    @Test
    void twoHundredCallersCanWaitAtOnceAndAllProceed() throws Exception {
        h = new GovernorHarness(dir, TestPolicy.always(TestPolicy.approve(Tier.T1, 1, List.of(), false, Duration.ofSeconds(20))));
        ExecutorService callers = virtualThreadsIfAvailable();
        try {
            List<Intent> intents = new ArrayList<>();
            List<Future<Warrant>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Intent intent = GovernorHarness.intent("restart_service").arg("shard", i).build();
                intents.add(intent);
                results.add(callers.submit(() -> h.governor.authorize(intent)));
            }
            for (Intent intent : intents) h.backend.awaitRequest(intent.id(), Duration.ofSeconds(10));
            assertEquals(200, h.governor.pendingApprovals(), "every caller is waiting at the same time");
            for (Intent intent : intents) h.backend.approve(intent.id(), "alice");
            for (Future<Warrant> f : results) assertEquals(List.of("alice"), f.get(10, TimeUnit.SECONDS).approvedBy());
        } finally {
            callers.shutdownNow();
        }
    }

    private static ExecutorService virtualThreadsIfAvailable() {
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException e) {
            return Executors.newFixedThreadPool(200);
        }
    }
}
