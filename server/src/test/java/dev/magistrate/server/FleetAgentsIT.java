package dev.magistrate.server;

import dev.magistrate.annotations.GovernedAction;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Agent JVMs under {@code -javaagent} with {@code magistrate.approvals=remote}, and the service's replicas as child processes
 * ({@code java -jar magistrate-server.jar}) on one embedded PostgreSQL: a replica killed with SIGKILL while an agent waits on it
 * (the agent fails over and the call completes), a warrant replayed by another agent JVM (refused), the service down (a call
 * needing approval denied with the reason, a T0 call still runs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentsIT {

    static final Path AGENT_JAR = Path.of(System.getProperty("magistrate.agent.jar", "../javaagent/target/magistrate-agent.jar")).toAbsolutePath();
    static final Path SERVER_JAR = Path.of(System.getProperty("magistrate.server.jar", "target/magistrate-server.jar")).toAbsolutePath();
    static final Path TEST_CLASSES = Path.of(System.getProperty("magistrate.testapp.classes", "target/test-classes")).toAbsolutePath();
    static final String APP = "example.fleet.FleetAgentApp";

    Path dir;
    FleetFixture fleet;
    Replica r1;
    Replica r2;
    String token;
    String keysJson;
    final List<Process> started = new ArrayList<>();

    record Replica(String name, int port, Process process) {
        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(AGENT_JAR), "build the agent first (mvn -pl javaagent,server -am verify): " + AGENT_JAR);
        assertTrue(Files.isRegularFile(SERVER_JAR), "package the server first: " + SERVER_JAR);
        this.dir = dir;
        fleet = new FleetFixture(dir);
        r1 = replica("r1"); // first alone: it creates the warrant keys the others share
        r2 = replica("r2");
        token = FleetService.enrollAgent(fleet.postgres.getPostgresDatabase(), "ops-agent", null);
        keysJson = fleet.get(r2.port(), "/v1/keys/warrant", null).body().toString();
    }

    @AfterAll
    void stop() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        fleet.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Replica replica(String name) throws Exception {
        int port = freePort();
        Path out = dir.resolve(name + ".out");
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", SERVER_JAR.toString(), "--policy", fleet.policy.toString(), "--approvers",
                fleet.approvers.toString(), "--keys", fleet.keys.toString(), "--db", fleet.jdbcUrl(), "--port", String.valueOf(port),
                "--replica", name, "--workers", "8").redirectOutput(out.toFile()).redirectError(dir.resolve(name + ".err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        Process p = pb.start();
        started.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(out).contains("listening on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                fail("replica " + name + " did not start:\n" + Files.readString(out) + Files.readString(dir.resolve(name + ".err")));
            }
            Thread.sleep(100);
        }
        return new Replica(name, port, p);
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** An agent's working directory: the policy, its token and the pinned keys in files, and magistrate.yaml naming the service's URLs. */
    Path agentDir(String name, String... urls) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        Files.copy(fleet.policy, d.resolve("policy.yaml"));
        Files.writeString(d.resolve("agent.token"), token + "\n");
        Files.writeString(d.resolve("fleet-keys.json"), keysJson);
        Files.writeString(d.resolve("magistrate.yaml"), """
                policy: policy.yaml
                audit:
                  dir: audit
                keys:
                  dir: keys
                agent:
                  id: ops-agent
                approvals: remote
                fleet:
                  urls: %s
                  token:
                    file: agent.token
                  key: fleet-keys.json
                """.formatted(String.join(",", urls)));
        return d;
    }

    Process agent(Path d, String... calls) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-javaagent:" + AGENT_JAR + "=config=" + d.resolve("magistrate.yaml"), "-cp",
                TEST_CLASSES + File.pathSeparator + codeSource(GovernedAction.class), APP));
        cmd.addAll(List.of(calls));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(d.toFile()).redirectOutput(d.resolve("app.out").toFile())
                .redirectError(d.resolve("app.err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    static String finished(Path d, Process p) throws Exception {
        if (!p.waitFor(150, TimeUnit.SECONDS)) fail("the agent JVM did not finish:\n" + Files.readString(d.resolve("app.err")));
        String out = Files.readString(d.resolve("app.out"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out + Files.readString(d.resolve("app.err")));
        return out;
    }

    static String codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<AuditEvent> audit(Path auditDir) {
        return RemoteApprovalsTest.trail(auditDir, null);
    }

    @Test
    void aReplicaKilledWhileTheAgentWaitsOnItLosesNothingTheAgentFailsOverAndTheCallRuns() throws Exception {
        Replica doomed = replica("r3");
        Path d = agentDir("failover", doomed.url(), r2.url());
        Process app = agent(d, "scale=scale:checkout");
        String requestId = fleet.pendingRequest("scale_service", "checkout");
        Thread.sleep(1000); // let the agent's long poll reach r3 (if it has not, its next request fails over all the same)
        doomed.process().destroyForcibly(); // SIGKILL mid-wait
        assertTrue(doomed.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, doomed.process().exitValue(), "killed, not stopped");

        assertEquals("pending", fleet.vote(r2.port(), requestId, "alice", "approve").text("state"));
        assertEquals("approved", fleet.vote(r2.port(), requestId, "bob", "approve").text("state"));
        String out = finished(d, app);
        assertTrue(out.contains("CASE scale OK checkout scaled to 12"), out);
        assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ? AND outcome = 'succeeded' AND replica = 'r2'", requestId));

        List<AuditEvent> trail = audit(d.resolve("audit"));
        List<String> answers = trail.stream().filter(e -> e.type() == AuditEventType.FLEET_ANSWER)
                .map(e -> e.fields().get("status") + " " + e.fields().get("replica")).toList();
        assertEquals(2, answers.size(), answers::toString);
        assertTrue(answers.get(0).startsWith("pending r3 "), answers::toString);
        assertTrue(answers.get(1).startsWith("allow r2 "), answers::toString);
        assertTrue(trail.stream().anyMatch(e -> e.type() == AuditEventType.EXECUTION_COMPLETED));
    }

    @Test
    void aWarrantSpentByOneAgentJvmIsRefusedWhenAnotherPresentsIt() throws Exception {
        Path d = agentDir("spender", r1.url(), r2.url());
        Process app = agent(d, "deploy=deploy:billing");
        String requestId = fleet.pendingRequest("deploy", "billing");
        assertEquals("approved", fleet.vote(r2.port(), requestId, "alice", "approve").text("state"));
        String out = finished(d, app);
        assertTrue(out.contains("CASE deploy OK billing deployed"), out);
        String warrant = audit(d.resolve("audit")).stream().filter(e -> e.type() == AuditEventType.WARRANT_ISSUED).findFirst().orElseThrow()
                .fields().get("warrant").toString();
        Path warrantFile = Files.writeString(d.resolve("warrant.json"), warrant);

        // Another JVM of the same agent (its own audit trail and ledger, empty) presents the spent warrant to the other replica.
        List<String> cmd = new ArrayList<>(List.of(java()));
        for (String arg : System.getProperty("magistrate.chronicle.args", "").split("\\s+")) if (!arg.isBlank()) cmd.add(arg); // Chronicle's --add-opens
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "example.fleet.ReplayWarrant", d.toString(), r1.url(), warrantFile.toString(), "billing"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        Process replay = pb.start();
        started.add(replay);
        String replayed = new String(replay.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(replay.waitFor(120, TimeUnit.SECONDS));
        assertTrue(replayed.contains("CASE replay DENIED replayed: "), replayed);
        assertEquals(1, fleet.count("SELECT count(*) FROM consumptions WHERE request_id = ?", requestId), "spent once");
        assertTrue(fleet.count("SELECT count(*) FROM refusals WHERE subject = ? AND status = 409", requestId) >= 1, "the service recorded the replay");
    }

    @Test
    void whenTheServiceIsDownACallNeedingApprovalIsDeniedWithTheReasonAndAT0CallStillRuns() throws Exception {
        String down1 = "http://127.0.0.1:" + freePort(), down2 = "http://127.0.0.1:" + freePort();
        Path d = agentDir("down", down1, down2);
        String out = finished(d, agent(d, "deploy=deploy:web", "read=read:api"));
        String deploy = out.lines().filter(l -> l.startsWith("CASE deploy ")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(deploy.startsWith("CASE deploy DENIED ") && deploy.contains(down1) && deploy.contains(down2), deploy);
        assertTrue(out.contains("CASE read OK api p99 41ms"), out);
        List<AuditEvent> trail = audit(d.resolve("audit"));
        assertTrue(trail.stream().anyMatch(e -> e.type() == AuditEventType.INTENT_DENIED && e.fields().get("reason").toString().contains(down1)),
                "the denial is audited with the URLs tried");
    }
}
