package example.app;

import dev.magistrate.annotations.Arg;
import dev.magistrate.annotations.GovernedAction;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A scale that fails, and the compensating method the agent's engine runs for it; an ungoverned import of the engine never happens. */
public class RollbackApp {

    static final CountDownLatch ROLLED_BACK = new CountDownLatch(1);
    static final AtomicInteger ROLLBACKS = new AtomicInteger();
    static volatile Thread rollbackThread;

    public static class Scaler {
        private final String region;

        public Scaler(String region) {
            this.region = region;
        }

        @GovernedAction(value = "scale_service", rollback = "scale_back")
        public String scale(String service, int instances) {
            throw new IllegalStateException("quota exceeded scaling " + service + " to " + instances + " in " + region);
        }

        @GovernedAction("scale_back")
        public String scaleBack(String service, @Arg("result") String result) {
            rollbackThread = Thread.currentThread();
            ROLLBACKS.incrementAndGet();
            System.out.println("ROLLBACK " + service + " in " + region + " result=" + result + " on " + Thread.currentThread().getName());
            ROLLED_BACK.countDown();
            return service + " restored";
        }

        /** Names a rollback no method has: reported when the class is instrumented. */
        @GovernedAction(value = "delete_service", rollback = "undelete_service")
        public String delete(String service) {
            return service + " deleted";
        }
    }

    public static void main(String[] args) throws Exception {
        Scaler scaler = new Scaler("eu-1");
        InterceptionApp.run("scale", () -> scaler.scale("web", 200));
        boolean ran = ROLLED_BACK.await(60, TimeUnit.SECONDS);
        // The engine records the rollback's outcome on its own thread once the body returns: wait until that thread has left our code.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ran && busy(rollbackThread) && System.nanoTime() < deadline) Thread.sleep(20);
        System.out.println("ROLLBACKS " + ROLLBACKS.get());
    }

    private static boolean busy(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("dev.magistrate.") || e.getClassName().startsWith("example.app.")) return true;
        }
        return false;
    }
}
