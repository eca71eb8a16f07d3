package example.app;

import dev.magistrate.annotations.CallApprovalPendingException;
import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.annotations.GovernedAction;

/**
 * Governed calls that wait for a person at the console (driven by ApproveWithChangesIT from outside this JVM).
 * Prints {@code RECEIVED service instances} from inside the method body, and one {@code CASE name ...} line per case.
 */
public final class ApprovalApp {

    public static class Ops {
        @GovernedAction(value = "scale", justification = "reason")
        public String scale(String service, int instances, String reason) {
            System.out.println("RECEIVED " + service + " " + instances);
            return service + " scaled to " + instances;
        }

        static int resizes;

        /** Not a text tool: approve later reaches the caller as a typed exception. */
        @GovernedAction("resize")
        public int resize(String service, int instances) {
            resizes++;
            return instances;
        }

        /** A text tool: what the model reads is the result, so a question comes back as the result. */
        @GovernedAction("scale_text")
        public String scaleText(String service, int instances) {
            return service + " scaled to " + instances;
        }
    }

    public static void main(String[] args) {
        Ops ops = new Ops();
        for (String c : args) {
            switch (c) {
                case "edit" -> System.out.println("CASE edit OK " + ops.scale("web", 200, "CPU at 85% for 15 minutes"));
                case "more-info" -> {
                    try {
                        System.out.println("CASE more-info UNEXPECTED " + ops.scale("api", 50, "load"));
                    } catch (CallNeedsInformationException e) {
                        System.out.println("QUESTION " + e.question());
                        System.out.println("ASKED-IN " + e.intentId());
                        System.out.println("MESSAGE " + e.getMessage());
                        System.out.println("IS-A-DENIAL " + (e instanceof CallDeniedException));
                        System.out.println("CASE more-info OK " + ops.scale("api", 50, "p99 latency 2.3 s at 50% of capacity; graph grafana/d/api"));
                    }
                }
                case "more-info-text" -> System.out.println("CASE more-info-text OK " + ops.scaleText("batch", 40));
                case "deferred" -> {
                    String pendingId = null;
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (System.nanoTime() < deadline) {
                        try {
                            int result = ops.resize("web", 40);
                            System.out.println("CASE deferred OK " + result + " BODY-RAN " + Ops.resizes + " TIMES, PENDING-WAS " + pendingId);
                            break;
                        } catch (CallApprovalPendingException e) {
                            if (pendingId == null) {
                                System.out.println("PENDING " + e.intentId() + " IS-A-DENIAL " + (e instanceof CallDeniedException));
                            } else if (!pendingId.equals(e.intentId())) {
                                System.out.println("CASE deferred WRONG another intent " + e.intentId());
                                break;
                            }
                            pendingId = e.intentId();
                        }
                        try {
                            Thread.sleep(100); // the caller is free meanwhile: here it only asks again now and then
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
                default -> throw new IllegalArgumentException(c);
            }
        }
    }
}
