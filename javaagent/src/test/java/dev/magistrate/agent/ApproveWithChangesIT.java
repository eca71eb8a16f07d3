package dev.magistrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A person at the console, outside the governed JVM, approves a call with a change and asks for more
 * information on another: the governed method runs with the approved value, the audit trail keeps both
 * values, and the question reaches the application, whose answering call links to the first.
 */
class ApproveWithChangesIT {

    static final String POLICY = """
            default: T1
            policies:
              - name: scaling
                condition: "action in ['scale', 'scale_text'] and instances <= 300"
                risk_tier: T2
                timeout: "90s"
              - name: ddos-bill
                condition: "action in ['scale', 'scale_text'] and instances > 300"
                effect: deny
                reason: "more than 300 instances is a DDoS bill, not a fix"
            """;
    static final String SAM_TOKEN = "mgt_sam-personal-token-used-only-by-this-test-0123456789abcdef";
    static final String RIYA_TOKEN = "mgt_riya-personal-token-used-only-by-this-test-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final Set<String> seen = new HashSet<>();
    String url;
    String consoleToken;

    @Test
    void anApproverScalesTo25InsteadOf200AndAsksForMoreInformationOnAnother(@TempDir Path dir) throws Exception {
        roundTrip(dir, AgentRun.java());
    }

    @Test
    void theSameOnTheTemurin25Jdk(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        roundTrip(dir, AgentRun.JDK25.toString());
    }

    private void roundTrip(Path dir, String javaBin) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - id: sam
                    name: Sam Reyes
                    roles: [sre]
                    token_sha256: %s
                  - id: riya
                    name: Riya Shah
                    roles: [sre]
                    token_sha256: %s
                """.formatted(ApproverToken.sha256Hex(SAM_TOKEN), ApproverToken.sha256Hex(RIYA_TOKEN)));
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                audit:
                  dir: audit
                keys:
                  dir: keys
                approvals: console
                approvers: approvers.yaml
                fallback:
                  actions: [scale_text]
                """);
        ExecutorService child = Executors.newSingleThreadExecutor();
        try {
            Future<AgentRun.Result> running = child.submit(() -> AgentRun.withAgent(javaBin, dir, AgentRun.appClasspath(),
                    "example.app.ApprovalApp", "edit", "more-info", "more-info-text"));
            connect(dir.resolve("keys").resolve("console.json"), running);

            JsonNode asked200 = nextRequest(running);
            assertEquals(200, asked200.get("args").get("instances").asInt());
            String editedId = asked200.get("intent_id").asText();
            JsonNode refused = vote(editedId, "{\"approver\":\"sam\",\"verdict\":\"approve\",\"edits\":{\"instances\":400}}");
            assertEquals("the policy denies the edited call: rule 'ddos-bill': more than 300 instances is a DDoS bill, not a fix",
                    refused.get("rejection").asText(), refused::toString);
            JsonNode edited = vote(editedId, "{\"approver\":\"sam\",\"verdict\":\"approve\",\"edits\":{\"instances\":25},"
                    + "\"comment\":\"25 is enough for this load\"}");
            assertEquals("pending", edited.get("state").asText(), edited::toString);
            JsonNode granted = vote(editedId, "{\"approver\":\"riya\",\"verdict\":\"approve\"}");
            assertEquals("granted", granted.get("state").asText(), granted::toString);

            JsonNode first = nextRequest(running);
            String firstId = first.get("intent_id").asText();
            JsonNode q = vote(firstId, "{\"approver\":\"sam\",\"verdict\":\"more_info\",\"comment\":\"Why 50 and not 25? Which graph shows the load?\"}");
            assertEquals("needs_information", q.get("state").asText(), q::toString);
            String answerId = nextRequest(running).get("intent_id").asText();
            vote(answerId, "{\"approver\":\"sam\",\"verdict\":\"approve\"}");
            assertEquals("granted", vote(answerId, "{\"approver\":\"riya\",\"verdict\":\"approve\"}").get("state").asText());

            String textId = nextRequest(running).get("intent_id").asText();
            vote(textId, "{\"approver\":\"sam\",\"verdict\":\"more_info\",\"comment\":\"Which batch queue?\"}");

            AgentRun.Result r = running.get(120, TimeUnit.SECONDS);
            assertEquals(0, r.exit(), r::toString);
            assertEquals("OK web scaled to 25", r.outcome("edit"));
            assertEquals("RECEIVED web 25", r.line("RECEIVED web"), "the body received the approved value, not the requested 200");
            assertTrue(r.err().contains("intent " + editedId + " runs with changes approved by sam: instances 200 -> 25"), r::toString);
            assertTrue(r.err().contains("intent " + editedId + " (scale, T2) waits for approval: 2 approvals, 2 approvers can vote (sam, riya), at http://127.0.0.1:"),
                    r::toString);

            assertEquals("QUESTION Why 50 and not 25? Which graph shows the load?", r.line("QUESTION "));
            assertEquals("ASKED-IN " + firstId, r.line("ASKED-IN "));
            assertEquals("MESSAGE The approver sam asked for more information before deciding: Why 50 and not 25? Which graph shows the load?"
                    + " Answer it by calling scale again with the answer in its justification. [intent " + firstId + "]", r.line("MESSAGE "));
            assertEquals("IS-A-DENIAL true", r.line("IS-A-DENIAL "), "code that catches denials does not run the call either");
            assertEquals("OK api scaled to 50", r.outcome("more-info"));
            assertEquals("OK The approver sam asked for more information before deciding: Which batch queue? Answer it by calling scale_text"
                    + " again with the answer in its justification. [intent " + textId + "]", r.outcome("more-info-text"),
                    "a text tool hands the question back as its result");

            List<AuditEvent> audit = InterceptionIT.readAudit(dir.resolve("audit"));
            AuditEvent edit = only(audit, editedId, AuditEventType.ARGUMENTS_EDITED);
            assertEquals("sam", edit.fields().get("by"));
            assertEquals("{\"instances\":200,\"reason\":\"CPU at 85% for 15 minutes\",\"service\":\"web\"}", edit.fields().get("requested_args"));
            assertEquals("{\"instances\":25,\"reason\":\"CPU at 85% for 15 minutes\",\"service\":\"web\"}", edit.fields().get("approved_args"));
            AuditEvent issued = only(audit, editedId, AuditEventType.WARRANT_ISSUED);
            assertTrue(((String) issued.fields().get("warrant")).contains("\"args_digest\":\"" + edit.fields().get("args_digest") + "\""),
                    "the warrant binds the edited arguments");
            assertTrue(audit.stream().anyMatch(e -> e.intentId().equals(editedId) && e.type() == AuditEventType.EXECUTION_COMPLETED));

            assertEquals("Why 50 and not 25? Which graph shows the load?", only(audit, firstId, AuditEventType.INFORMATION_REQUESTED).fields().get("question"));
            assertTrue(audit.stream().noneMatch(e -> e.intentId().equals(firstId) && e.type() == AuditEventType.INTENT_DENIED), "not denied");
            assertEquals(firstId, only(audit, answerId, AuditEventType.INTENT_SUBMITTED).fields().get("parent_intent_id"),
                    "the answer links to the question");
        } finally {
            child.shutdownNow();
        }
    }

    private static AuditEvent only(List<AuditEvent> audit, String intentId, AuditEventType type) {
        List<AuditEvent> found = audit.stream().filter(e -> e.intentId().equals(intentId) && e.type() == type).toList();
        assertEquals(1, found.size(), type + " of " + intentId + ": " + found);
        return found.get(0);
    }

    private void connect(Path consoleFile, Future<AgentRun.Result> running) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.isRegularFile(consoleFile) || Files.size(consoleFile) == 0) {
            if (running.isDone()) fail("the application ended before its console started: " + running.get());
            if (System.nanoTime() > deadline) fail("no console file " + consoleFile);
            Thread.sleep(50);
        }
        JsonNode c = JSON.readTree(Files.readString(consoleFile));
        url = c.get("url").asText();
        consoleToken = c.get("token").asText();
    }

    /** The next request waiting at the console that this test has not seen yet. */
    private JsonNode nextRequest(Future<AgentRun.Result> running) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(url + "/api/requests")).timeout(Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + consoleToken).GET().build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode r : JSON.readTree(list.body())) {
                    if (seen.add(r.get("intent_id").asText())) return r;
                }
            } catch (java.net.ConnectException notYetListening) {
                // the file is written as the console starts; it may not accept connections for a moment
            }
            if (running.isDone()) fail("the application ended while the test waited for a request: " + running.get());
            Thread.sleep(50);
        }
        return fail("no new approval request within 60 s");
    }

    /** A vote carrying the personal token of the approver the body names. */
    private JsonNode vote(String intentId, String body) throws Exception {
        String token = body.contains("\"riya\"") ? RIYA_TOKEN : SAM_TOKEN;
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/requests/" + intentId + "/votes"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
