package dev.magistrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15, approve later under the agent: a tool that returns no text throws the typed CallApprovalPendingException at
 * once (caught by type in the application's loader), the caller's thread is free, and once a person approves at the
 * console the same call made again runs the body exactly once, under the same intent.
 */
class ApproveLaterIT {

    static final String SAM_TOKEN = "mgt_sam-personal-token-used-only-by-approve-later-test-0123456789ab";
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDeferredCallThrowsPendingAtOnceAndRunsOnceWhenMadeAgainAfterApproval(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                policies:
                  - name: resizing
                    condition: "action == 'resize'"
                    risk_tier: T1
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
                audit: {dir: audit}
                keys: {dir: keys}
                approvals: console
                approvers: approvers.yaml
                defer: {actions: [resize]}
                """);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService child = Executors.newSingleThreadExecutor();
        try {
            Future<AgentRun.Result> running = child.submit(() -> AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(),
                    "example.app.ApprovalApp", "deferred"));
            Path consoleFile = dir.resolve("keys").resolve("console.json");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonNode request = null;
            while (request == null) {
                if (running.isDone()) fail("the application ended before a request waited: " + running.get());
                if (System.nanoTime() > deadline) fail("no request within 60 s");
                if (Files.isRegularFile(consoleFile) && Files.size(consoleFile) > 0) {
                    JsonNode c = JSON.readTree(Files.readString(consoleFile));
                    try {
                        JsonNode list = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(c.get("url").asText() + "/api/requests"))
                                .header("Authorization", "Bearer " + c.get("token").asText()).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
                        if (list.size() > 0) {
                            assertEquals(1, list.size(), "asking again while pending makes no second request: " + list);
                            request = list.get(0);
                            Thread.sleep(500); // let the application ask again a few times before the approval
                            String url = c.get("url").asText() + "/api/requests/" + request.get("intent_id").asText() + "/votes";
                            JsonNode vote = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + SAM_TOKEN)
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"approver\":\"sam\",\"verdict\":\"approve\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString()).body());
                            assertEquals("granted", vote.get("state").asText(), vote::toString);
                        }
                    } catch (java.net.ConnectException notYetListening) {
                        // the console is starting
                    }
                }
                Thread.sleep(50);
            }
            String intentId = request.get("intent_id").asText();
            AgentRun.Result r = running.get(90, TimeUnit.SECONDS);
            assertEquals(0, r.exit(), r::toString);
            assertEquals("PENDING " + intentId + " IS-A-DENIAL true", r.line("PENDING "), r::toString);
            assertEquals("CASE deferred OK 40 BODY-RAN 1 TIMES, PENDING-WAS " + intentId, r.line("CASE deferred"), r::toString);

            List<AuditEvent> audit = InterceptionIT.readAudit(dir.resolve("audit"));
            assertEquals(1, audit.stream().filter(e -> e.type() == AuditEventType.INTENT_SUBMITTED).count(), "one intent however often it was asked");
            assertEquals(1, audit.stream().filter(e -> e.intentId().equals(intentId) && e.type() == AuditEventType.EXECUTION_COMPLETED).count());
        } finally {
            child.shutdownNow();
        }
    }
}
