package example.app;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Makes a governed call while the engine cannot have started: its policy file is a named pipe that gives nothing until
 * this application writes it. {@code release POLICY_FIFO POLICY_TEXT_FILE}: once the call is seen waiting, writes the
 * policy into the pipe, puts a plain file in its place, and prints the call's outcome;
 * {@code never}: nobody writes it, the call must give up and be denied.
 */
public final class SlowStartApp {

    public static void main(String[] args) throws Exception {
        Tools tools = new Tools();
        if (args[0].equals("never")) {
            InterceptionApp.run("first-call", () -> tools.health("web"));
            return;
        }
        Thread call = new Thread(() -> InterceptionApp.run("first-call", () -> tools.health("web")), "first-call");
        call.start();
        // Blocked in the bridge, waiting for the start (the engine is stuck reading the pipe): only now may it start.
        while (call.getState() != Thread.State.WAITING && call.getState() != Thread.State.TIMED_WAITING) {
            if (!call.isAlive()) throw new AssertionError("the first call finished before the engine could start");
            Thread.sleep(5);
        }
        System.out.println("WAITING seen");
        byte[] policy = Files.readAllBytes(Path.of(args[2]));
        Path pipe = Path.of(args[1]), file = Path.of(args[1] + ".file");
        Files.write(file, policy);
        try (OutputStream out = Files.newOutputStream(pipe)) { // blocks until the engine opens the pipe
            out.write(policy);
            // Later reads (the engine reads the policy again for its lint and its version) find a plain file.
            Files.move(file, pipe, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        call.join();
        System.out.println("POLICY " + new String(policy, StandardCharsets.UTF_8).lines().count() + " lines");
    }
}
