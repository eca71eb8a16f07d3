package example.app;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.GovernedAction;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Governed calls made from asynchronous work that a governed call ({@code runbook}) hands over: each case names its
 * hand-off as the runbook's {@code how} and the health check's {@code service}, so AsyncContextIT can pair them in the
 * audit trail. Prints one {@code CASE name ...} line per case.
 */
public final class AsyncApp {

    public static class Tools {
        @GovernedAction("health_check")
        public String healthCheck(String service) {
            return "healthy " + service;
        }

        @GovernedAction("drop_table")
        public String dropTable(String table) {
            return "dropped " + table;
        }
    }

    static final Tools TOOLS = new Tools();
    // Made, and their threads started, before any governed call: what links the work is the hand-off, not the thread.
    static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    static final ScheduledExecutorService TIMER = Executors.newScheduledThreadPool(1);

    public static class Ops {
        @GovernedAction("runbook")
        public String runbook(String how) throws Exception {
            return switch (how) {
                case "completable" -> CompletableFuture.supplyAsync(() -> TOOLS.healthCheck(how)).join();
                case "completable-executor" -> CompletableFuture.supplyAsync(() -> TOOLS.healthCheck(how), POOL).join();
                case "executor-submit" -> POOL.submit(() -> TOOLS.healthCheck(how)).get();
                case "executor-execute" -> {
                    AtomicReference<String> r = new AtomicReference<>();
                    CountDownLatch done = new CountDownLatch(1);
                    POOL.execute(() -> {
                        r.set(TOOLS.healthCheck(how));
                        done.countDown();
                    });
                    done.await(30, TimeUnit.SECONDS);
                    yield r.get();
                }
                case "scheduled" -> TIMER.schedule(() -> TOOLS.healthCheck(how), 10, TimeUnit.MILLISECONDS).get();
                case "fork-join" -> ForkJoinPool.commonPool().submit(() -> TOOLS.healthCheck(how)).get();
                case "nested-async" -> CompletableFuture.supplyAsync(() -> {
                    try {
                        return POOL.submit(() -> TOOLS.healthCheck(how)).get();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).join();
                case "reactor" -> Mono.fromCallable(() -> TOOLS.healthCheck(how)).subscribeOn(Schedulers.boundedElastic()).block();
                case "virtual" -> {
                    // Thread.ofVirtual() exists from Java 21: reached by reflection, since this class is compiled for 17.
                    Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                    AtomicReference<String> r = new AtomicReference<>();
                    Runnable work = () -> r.set(TOOLS.healthCheck(how));
                    Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class).invoke(builder, work);
                    t.join();
                    yield r.get();
                }
                case "denied-async" -> {
                    try {
                        yield CompletableFuture.supplyAsync(() -> TOOLS.dropTable("users")).get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        yield "FAILED " + (e.getCause() instanceof CallDeniedException) + " " + e.getCause().getMessage();
                    }
                }
                default -> throw new IllegalArgumentException(how);
            };
        }
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 2; i++) POOL.submit(() -> { }).get(); // start the pool's threads outside any governed call
        TIMER.schedule(() -> { }, 0, TimeUnit.MILLISECONDS).get();
        Ops ops = new Ops();
        for (String c : args) {
            try {
                if (c.equals("outside")) {
                    System.out.println("CASE outside OK " + POOL.submit(() -> TOOLS.healthCheck("outside")).get());
                } else {
                    System.out.println("CASE " + c + " OK " + ops.runbook(c));
                }
            } catch (CompletionException | CallDeniedException e) {
                System.out.println("CASE " + c + " THREW " + e);
            }
        }
        POOL.shutdown();
        TIMER.shutdown();
    }
}
