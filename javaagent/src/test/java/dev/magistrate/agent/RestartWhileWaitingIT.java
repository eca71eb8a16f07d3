package dev.magistrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15, pending approvals survive a restart: a JVM killed with SIGKILL while a call waits for approval does not
 * silently forget it. The next start records it as abandoned, shows it so at the console (no vote can revive it: its
 * caller is gone), and the same call made again names it as its parent, so approvers see the history.
 */
class RestartWhileWaitingIT {

    static final String SAM_TOKEN = "mgt_sam-personal-token-used-only-by-restart-test-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aCallWaitingWhenTheJvmIsKilledIsAbandonedOnRestartAndTheRetryLinksToIt(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                default: T0
                policies:
                  - name: scaling
                    condition: "action == 'scale'"
                    risk_tier: T1
                    timeout: "10m"
                """);
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - id: sam
                    name: Sam Reyes
                    roles: [sre]
                    token_sha256: %s
                """.formatted(ApproverToken.sha256Hex(SAM_TOKEN)));
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                audit:
                  dir: audit
                keys:
                  dir: keys
                approvals: console
                approvers: approvers.yaml
                """);
        Path consoleFile = dir.resolve("keys").resolve("console.json");

        Process first = start(dir, "first");
        String ghost;
        try {
            Console c = connect(consoleFile, first);
            JsonNode waiting = firstPending(c, first);
            ghost = waiting.get("intent_id").asText();
            assertEquals("scale", waiting.get("action").asText());
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook runs, the session never ends cleanly
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, first.exitValue(), "killed, not ended");
        Files.deleteIfExists(consoleFile); // the dead JVM's port; the next start writes its own

        Process second = start(dir, "second");
        try {
            Console c = connect(consoleFile, second);
            JsonNode retry = firstPending(c, second);
            String retryId = retry.get("intent_id").asText();
            assertEquals(ghost, retry.get("parent_intent_id").asText(), "the same call made again follows the abandoned one: " + retry);

            JsonNode old = get(c, "/api/requests/" + ghost);
            assertEquals("abandoned", old.get("state").asText(), "shown as ended, not as waiting: " + old);
            JsonNode lateVote = vote(c, ghost);
            assertEquals(false, lateVote.get("accepted").asBoolean(), lateVote::toString);
            assertEquals("abandoned", lateVote.get("state").asText(), "nobody can approve the ghost: " + lateVote);

            JsonNode granted = vote(c, retryId);
            assertEquals("granted", granted.get("state").asText(), granted::toString);
            assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the retry ran once approved");
            String out = Files.readString(dir.resolve("second.out"), StandardCharsets.UTF_8);
            assertTrue(out.contains("CASE edit OK web scaled to 200"), out + Files.readString(dir.resolve("second.err")));
            String err = Files.readString(dir.resolve("second.err"), StandardCharsets.UTF_8);
            assertTrue(err.contains("1 intent(s) waited for approval when the process last stopped; recorded as abandoned: " + ghost + " (scale)"), err);

            List<AuditEvent> audit = InterceptionIT.readAudit(dir.resolve("audit"));
            List<AuditEvent> abandoned = audit.stream().filter(e -> e.type() == AuditEventType.INTENT_ABANDONED).toList();
            assertEquals(1, abandoned.size(), abandoned::toString);
            assertEquals(ghost, abandoned.get(0).intentId());
            assertTrue(abandoned.get(0).fields().get("reason").toString().contains("its caller is gone"), abandoned::toString);
            assertTrue(audit.stream().noneMatch(e -> e.intentId().equals(ghost) && e.type() == AuditEventType.WARRANT_ISSUED));
            assertEquals(ghost, audit.stream().filter(e -> e.intentId().equals(retryId) && e.type() == AuditEventType.INTENT_SUBMITTED)
                    .findFirst().orElseThrow().fields().get("parent_intent_id"));
            assertTrue(audit.stream().anyMatch(e -> e.intentId().equals(retryId) && e.type() == AuditEventType.EXECUTION_COMPLETED));
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }

        // A third start finds nothing waiting: an abandoned intent is abandoned once.
        AgentRun.Result third = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "void");
        assertTrue(third.err().lines().noneMatch(l -> l.contains("recorded as abandoned")), third::toString);
        assertEquals(1, InterceptionIT.readAudit(dir.resolve("audit")).stream().filter(e -> e.type() == AuditEventType.INTENT_ABANDONED).count());
    }

    private static Process start(Path dir, String name) throws IOException {
        List<String> cmd = List.of(AgentRun.java(), "-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"),
                "-cp", AgentRun.appClasspath(), "example.app.ApprovalApp", "edit");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAGISTRATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile());
        return pb.start();
    }

    private record Console(String url, String token) {
    }

    private static Console connect(Path consoleFile, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.isRegularFile(consoleFile) || Files.size(consoleFile) == 0) {
            if (!p.isAlive()) fail("the application ended before its console started (exit " + p.exitValue() + ")");
            if (System.nanoTime() > deadline) fail("no console file " + consoleFile);
            Thread.sleep(50);
        }
        JsonNode c = JSON.readTree(Files.readString(consoleFile));
        return new Console(c.get("url").asText(), c.get("token").asText());
    }

    private JsonNode firstPending(Console c, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                JsonNode list = get(c, "/api/requests");
                if (list.size() > 0) return list.get(0);
            } catch (java.net.ConnectException notYetListening) {
                // the file is written as the console starts; it may not accept connections for a moment
            }
            if (!p.isAlive()) fail("the application ended while the test waited for a request (exit " + p.exitValue() + ")");
            Thread.sleep(50);
        }
        return fail("no approval request within 60 s");
    }

    private JsonNode get(Console c, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c.url() + path)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + c.token()).GET().build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private JsonNode vote(Console c, String intentId) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c.url() + "/api/requests/" + intentId + "/votes"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + SAM_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"approver\":\"sam\",\"verdict\":\"approve\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
