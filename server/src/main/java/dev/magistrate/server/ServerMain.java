package dev.magistrate.server;

import dev.magistrate.approval.ApproverDirectoryException;
import dev.magistrate.policy.PolicyException;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar magistrate-server.jar}: serves the intent API until stopped, or enrolls an agent and prints its token once. */
public final class ServerMain {

    private ServerMain() {
    }

    public static void main(String[] args) {
        ServerOptions o;
        try {
            o = ServerOptions.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("magistrate-server: " + e.getMessage());
            System.err.println(ServerOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            if (o.command().equals("enroll-agent")) {
                enroll(o);
                return;
            }
            FleetServer server = FleetServer.start(o);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "magistrate-server-stop"));
            System.out.println("magistrate-server: replica " + o.replica() + " listening on http://" + o.bind().getHostAddress() + ":" + server.port());
            stopped.await();
        } catch (PolicyException | ApproverDirectoryException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("magistrate-server: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void enroll(ServerOptions o) {
        String logKey = null;
        if (o.logKey() != null) {
            try {
                logKey = dev.magistrate.audit.CheckpointVerifier.fromKeyFile(o.logKey().getFileName().toString(),
                        java.nio.file.Files.readString(o.logKey(), java.nio.charset.StandardCharsets.UTF_8)).verifierKey();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--log-key: cannot read " + o.logKey() + ": " + e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--log-key " + o.logKey() + ": " + e.getMessage());
            }
        }
        try (FleetDatabase db = FleetServer.openDatabase(o)) {
            // Enrolling touches only the agents table: no policy or keys are needed.
            String token = FleetService.enrollAgent(db.dataSource(), o.agentToEnroll(), logKey);
            System.out.println(token);
            System.err.println("agent " + o.agentToEnroll() + " enrolled; the token above is shown once (the service keeps only its SHA-256)");
        }
    }
}
