package example.app;

import dev.magistrate.annotations.CallNeedsInformationException;
import dev.magistrate.annotations.GovernedAction;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An agent whose calls wait for a person at the console. Each argument names a call; it is made, on its own thread,
 * when the file {@code go-<name>} appears in the working directory (so the browser test can be watching the pending
 * list first). Prints {@code CASE name OK value} or {@code CASE name DENIED message}; when every call has ended, prints
 * {@code DONE} and exits once {@code go-exit} appears (so the test can still read the console's history).
 */
public final class ConsoleApp {

    public static class Ops {
        @GovernedAction(value = "deploy", justification = "why")
        public String deploy(String service, String version, String why) {
            return service + " now runs " + version;
        }

        @GovernedAction(value = "resize", justification = "why")
        public String resize(String service, int instances, String why) {
            return service + " resized to " + instances;
        }

        @GovernedAction(value = "purge_cache", justification = "why")
        public String purge(String region, String why) {
            return "purged " + region;
        }

        @GovernedAction(value = "scale_service", justification = "why")
        public String scale(String service, int instances, String why) {
            return service + " scaled to " + instances;
        }
    }

    public static void main(String[] args) throws Exception {
        Ops ops = new Ops();
        List<Thread> calls = new ArrayList<>();
        for (String name : args) {
            Thread t = new Thread(() -> {
                try {
                    while (!Files.exists(Path.of("go-" + name))) Thread.sleep(50);
                    Object result = switch (name) {
                        case "deploy" -> ops.deploy("payments", "v2.4.1", "fixes the refund rounding bug");
                        case "scale" -> ops.scale("web", 40, "CPU at 85% for 15 minutes");
                        case "resize" -> ops.resize("web", 200, "traffic spike");
                        case "ask" -> {
                            try {
                                yield ops.purge("all", "stale assets");
                            } catch (CallNeedsInformationException e) {
                                System.out.println("QUESTION " + e.question());
                                yield ops.purge("eu-west", "only eu-west serves stale assets (CDN report 4471)"); // the answer, linked to the question
                            }
                        }
                        default -> throw new IllegalArgumentException(name);
                    };
                    System.out.println("CASE " + name + " OK " + result);
                } catch (RuntimeException e) {
                    System.out.println("CASE " + name + " DENIED " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "call-" + name);
            t.start();
            calls.add(t);
        }
        for (Thread t : calls) t.join();
        System.out.println("DONE");
        while (!Files.exists(Path.of("go-exit"))) Thread.sleep(50);
    }
}
