package dev.magistrate.benchmarks;

import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.governor.DenialStage;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.governor.Governor;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.warrant.Warrant;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Many calls suspended at once, waiting for a person: {@code calls} threads each submit an intent
 * that needs one approval and block in {@link Governor#authorize}; once all are waiting, every
 * second one is approved and the others are left to time out. Passes only if every approved call
 * got its warrant and every other one was denied for the timeout, nothing else.
 *
 * <p>Memory per waiting call is the growth of the used heap (after GC) and of the process's
 * resident set between "nothing submitted" and "all waiting", divided by the calls. Threads are
 * virtual on a JDK that has them (21+), platform threads otherwise; a platform thread's stack is
 * outside the heap and shows only in the resident set.
 *
 * <p>Not a JMH benchmark: it is a correctness check at scale with two measurements, run once by
 * {@code run.sh} (10,000 calls) and by the smoke test (a few hundred).
 */
public final class SuspensionCheck {

    public record Result(String jdk, String threads, int calls, int granted, int timedOut, List<String> wrong,
                         long suspendMillis, long heapBytesPerCall, long rssBytesPerCall, long totalMillis) {

        public boolean passed() {
            return wrong.isEmpty() && granted + timedOut == calls;
        }

        public String toJson() {
            return String.format(Locale.ROOT, "{\"jdk\":\"%s\",\"threads\":\"%s\",\"calls\":%d,\"granted\":%d,\"timedOut\":%d,\"wrong\":%d,"
                            + "\"suspendMillis\":%d,\"heapBytesPerCall\":%d,\"rssBytesPerCall\":%d,\"totalMillis\":%d,\"passed\":%s}",
                    jdk, threads, calls, granted, timedOut, wrong.size(), suspendMillis, heapBytesPerCall, rssBytesPerCall, totalMillis, passed());
        }
    }

    private SuspensionCheck() {
    }

    public static Result run(int calls, Duration timeout, Path dir) throws Exception {
        long start = System.nanoTime();
        Files.createDirectories(dir);
        var policy = PolicyCompiler.compile(PolicyLoader.parse("suspension.yaml", """
                policies:
                  - name: "a person looks at every refund"
                    condition: "action == 'refund_order'"
                    risk_tier: "T1"
                    timeout: "%ds"
                """.formatted(Math.max(1, timeout.toSeconds()))));
        ProgrammaticApprovalBackend backend = new ProgrammaticApprovalBackend();
        ChronicleAuditLog audit = ChronicleAuditLog.open(AuditLogOptions.defaults(dir.resolve("audit"), "bench.magistrate.dev/suspension",
                CheckpointSigner.fromSeed("bench", new byte[32])));
        boolean virtual = Runtime.version().feature() >= 21;
        try (Governor governor = Governor.builder().policy(policy).approvalBackend(backend)
                .approvers(ApproverDirectory.of(List.of(new Approver("alice", "Alice Approver", List.of("sre"), null))))
                .stateDirectory(dir.resolve("state")).audit(audit).build()) {
            // Measured from before the calls exist: a waiting call's memory includes its intent and its thread.
            long heapBefore = usedHeapAfterGc();
            long rssBefore = residentBytes();
            Intent[] intents = new Intent[calls];
            for (int i = 0; i < calls; i++) {
                intents[i] = Intent.builder("refund_order").agent("ops-agent").arg("order_id", "A-" + i).arg("amount", 10 + i % 500).build();
            }
            Object[] outcomes = new Object[calls];
            Thread[] threads = new Thread[calls];
            for (int i = 0; i < calls; i++) {
                int n = i;
                Runnable waiter = () -> {
                    try {
                        outcomes[n] = governor.authorize(intents[n]);
                    } catch (Throwable t) {
                        outcomes[n] = t;
                    }
                };
                threads[i] = virtual ? virtualThread(waiter) : new Thread(waiter, "waiter-" + i);
            }
            long t0 = System.nanoTime();
            for (Thread t : threads) t.start();
            long deadline = System.nanoTime() + timeout.toNanos() / 2;
            while (governor.pendingApprovals() < calls && System.nanoTime() < deadline) Thread.sleep(5);
            long suspendMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            int waiting = governor.pendingApprovals();
            long heapWaiting = usedHeapAfterGc();
            long rssWaiting = residentBytes();
            List<String> wrong = new ArrayList<>();
            if (waiting < calls) wrong.add("only " + waiting + " of " + calls + " calls were waiting after " + suspendMillis + " ms");
            for (int i = 0; i < calls; i += 2) {
                VoteResult v = backend.approve(intents[i].id(), "alice");
                if (!v.accepted()) wrong.add("vote on call " + i + " refused: " + v.rejection());
            }
            for (Thread t : threads) t.join(timeout.toMillis() + 30_000);
            int granted = 0, timedOut = 0;
            for (int i = 0; i < calls; i++) {
                Object o = outcomes[i];
                if (i % 2 == 0) {
                    if (o instanceof Warrant w && w.intentId().equals(intents[i].id())) granted++;
                    else wrong.add("approved call " + i + " ended with " + o);
                } else if (o instanceof DeniedException d && d.stage() == DenialStage.APPROVAL && d.reason().startsWith("no decision within")) {
                    timedOut++;
                } else {
                    wrong.add("unanswered call " + i + " ended with " + o);
                }
                if (wrong.size() > 20) break;
            }
            return new Result(Runtime.version().toString(), virtual ? "virtual" : "platform", calls, granted, timedOut, wrong, suspendMillis,
                    (heapWaiting - heapBefore) / calls, rssBefore < 0 ? -1 : (rssWaiting - rssBefore) / calls,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } finally {
            audit.close();
        }
    }

    private static Thread virtualThread(Runnable r) throws ReflectiveOperationException {
        // Compiled for 17: reach Thread.ofVirtual() reflectively on JDKs that have it.
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class).invoke(builder, r);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** VmRSS from /proc (Linux), or -1. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** {@code SuspensionCheck CALLS TIMEOUT_SECONDS OUT.json}: exits 1 if the check fails. */
    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Duration timeout = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 20);
        Path dir = Files.createTempDirectory("magistrate-bench-suspension");
        try {
            Result r = run(calls, timeout, dir);
            System.out.println(r.toJson());
            if (args.length > 2) Files.writeString(Path.of(args[2]), r.toJson() + "\n");
            if (!r.passed()) {
                r.wrong().forEach(w -> System.err.println("WRONG " + w));
                System.exit(1);
            }
        } finally {
            BenchFiles.deleteTree(dir);
        }
        System.exit(0);
    }
}
