package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.magistrate.console.chat.FakeChatServices.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chat end to end: a real engine with the console backend and its chat relay, Slack, Teams and a webhook receiver
 * stood in for by a loopback server, callbacks sent to the console's real port, outcomes read from the caller's
 * future and the audit log on disk.
 */
class ChatCallbackTest {

    @TempDir
    Path dir;
    ChatFixture h;

    @BeforeEach
    void start() throws Exception {
        h = new ChatFixture(dir);
    }

    @AfterEach
    void stop() {
        if (h != null) h.close();
    }

    static List<String> types(JsonNode blocks) {
        List<String> out = new ArrayList<>();
        blocks.forEach(b -> out.add(b.get("type").asText()));
        return out;
    }

    @Test
    void aT2RequestIsPostedAsBlockKitAndTwoMappedSlackUsersGrantIt() throws Exception {
        Intent intent = h.intent("scale_service").arg("service", "api-servers").arg("instances", 25).justification("CPU 85% for 15 minutes <!channel>")
                .estimatedCost(2500).urgency("high").rollbackPlan("scale back to 10").build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);

        FakeChatServices.Post post = h.services.await("/api/chat.postMessage", 1);
        assertEquals("Bearer xoxb-test-bot-token", post.header("Authorization"));
        JsonNode m = post.json();
        assertEquals("C0OPS", m.get("channel").asText());
        assertEquals(List.of("header", "section", "section", "section", "section", "actions", "context"), types(m.get("blocks")));
        JsonNode blocks = m.get("blocks");
        assertEquals("plain_text", blocks.get(0).get("text").get("type").asText());
        assertEquals("Approval needed: scale_service (T2)", blocks.get(0).get("text").get("text").asText());
        String fields = blocks.get(1).get("fields").toString();
        for (String f : List.of("*Agent*\\nops-agent", "*Tier*\\nT2", "*Cost*\\n2500", "*Urgency*\\nhigh", "senior_dev, devops", "*Time left*", "*Rules*\\nscaling")) {
            assertTrue(fields.contains(f), f + " in " + fields);
        }
        assertTrue(blocks.get(1).get("fields").size() <= 10, "Slack takes at most 10 fields per section");
        assertTrue(blocks.get(2).get("text").get("text").asText().contains("CPU 85% for 15 minutes &lt;!channel&gt;"), "agent text is escaped: no @channel");
        assertTrue(blocks.get(3).get("text").get("text").asText().contains("\"instances\":25"));
        assertTrue(blocks.get(4).get("text").get("text").asText().contains("scale back to 10"));
        JsonNode buttons = blocks.get(5).get("elements");
        assertEquals(3, buttons.size());
        assertEquals(List.of("Approve", "Deny", "More Info"), List.of(buttons.get(0).get("text").get("text").asText(),
                buttons.get(1).get("text").get("text").asText(), buttons.get(2).get("text").get("text").asText()));
        assertEquals(List.of(SlackMessages.APPROVE, SlackMessages.DENY, SlackMessages.MORE_INFO), List.of(buttons.get(0).get("action_id").asText(),
                buttons.get(1).get("action_id").asText(), buttons.get(2).get("action_id").asText()));
        buttons.forEach(b -> assertEquals(intent.id(), b.get("value").asText(), "each button carries the intent id"));
        assertEquals("primary", buttons.get(0).get("style").asText());
        assertEquals("danger", buttons.get(1).get("style").asText());

        HttpResponse<String> first = h.slack(ChatFixture.slackPress("U0ALICE", SlackMessages.APPROVE, intent.id()), h.now());
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("counts; the request still waits"), first.body());
        assertFalse(pending.isDone());
        HttpResponse<String> second = h.slack(ChatFixture.slackPress("U0BOB", SlackMessages.APPROVE, intent.id()), h.now());
        assertTrue(second.body().contains("the request is granted"), second.body());
        Warrant w = pending.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("alice", "bob"), w.approvedBy());

        FakeChatServices.Post ephemeral = h.services.await("/api/chat.postEphemeral", 2);
        assertEquals("U0BOB", ephemeral.json().get("user").asText());
        JsonNode update = h.services.await("/api/chat.update", 1).json();
        assertEquals("C0OPS", update.get("channel").asText());
        assertEquals("1700000000.000001", update.get("ts").asText(), "the posted message is updated in place");
        assertFalse(types(update.get("blocks")).contains("actions"), "no buttons once decided");
        String outcome = update.get("blocks").get(1).get("text").get("text").asText();
        assertTrue(outcome.startsWith("*Granted at ") && outcome.contains("approved by Alice Martin, Bob Okafor"), outcome);

        List<AuditPayload.Vote> votes = h.audit().stream().filter(e -> e.type() == AuditEventType.VOTE).map(e -> (AuditPayload.Vote) e.payload()).toList();
        assertEquals(List.of("alice", "bob"), votes.stream().map(AuditPayload.Vote::approver).toList());
        assertTrue(votes.stream().allMatch(AuditPayload.Vote::accepted));
    }

    @Test
    void aDecisionTakenInTheConsoleUpdatesTheSlackMessageWithWhoDecided() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 200).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        h.services.await("/api/chat.postMessage", 1);
        HttpResponse<String> vote = h.post("/api/requests/" + intent.id() + "/votes",
                "{\"approver\":\"carol\",\"verdict\":\"deny\",\"comment\":\"too many\"}".getBytes(StandardCharsets.UTF_8),
                java.util.Map.of("Authorization", "Bearer " + h.carolToken));
        assertEquals(200, vote.statusCode(), vote.body());
        assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        String outcome = h.services.await("/api/chat.update", 1).json().get("blocks").get(1).get("text").get("text").asText();
        assertTrue(outcome.startsWith("*Denied by Carol Diaz at "), outcome);
        HttpResponse<String> late = h.slack(ChatFixture.slackPress("U0BOB", SlackMessages.APPROVE, intent.id()), h.now());
        assertTrue(late.body().contains("is not waiting for a decision"), late.body());
    }

    @Test
    void aSignedMoreInfoPressEndsTheCallWithAQuestionForTheAgentNotADenial() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 200).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        h.services.await("/api/chat.postMessage", 1);
        HttpResponse<String> press = h.slack(ChatFixture.slackPress("U0BOB", SlackMessages.MORE_INFO, intent.id()), h.now());
        assertEquals(200, press.statusCode(), press.body());
        assertTrue(press.body().contains("counts; the request is needs_information"), press.body());
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        dev.magistrate.governor.NeedsInformationException asked = assertInstanceOf(dev.magistrate.governor.NeedsInformationException.class, e.getCause());
        assertTrue(asked.getMessage().contains("what is this call for, why these values, and what happens if it does not run? (asked from Slack)"),
                asked.getMessage());
        assertEquals(1, h.audit().stream().filter(x -> x.type() == AuditEventType.INFORMATION_REQUESTED).count());
    }

    @Test
    void onlyTheCorrectlySignedFreshFirstCallbackFromAMappedUserCounts() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 200).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        h.services.await("/api/chat.postMessage", 1);
        byte[] deny = ChatFixture.slackPress("U0BOB", SlackMessages.DENY, intent.id());

        assertEquals(401, h.slack(deny, h.now(), "not-the-signing-secret".getBytes(StandardCharsets.UTF_8)).statusCode(), "wrongly signed");
        assertEquals(401, h.slack(deny, h.now() - 301).statusCode(), "stale: more than five minutes old");
        assertEquals(401, h.slack(deny, h.now() + 301).statusCode(), "from the future");
        assertEquals(401, h.post("/chat/slack/actions", deny, java.util.Map.of()).statusCode(), "unsigned");
        HttpResponse<String> stranger = h.slack(ChatFixture.slackPress("U0MALLORY", SlackMessages.APPROVE, intent.id()), h.now());
        assertEquals(200, stranger.statusCode());
        assertTrue(stranger.body().contains("Sorry, your Slack account is not linked to an approver"), stranger.body());
        assertFalse(pending.isDone(), "no refused callback counted");

        long signedAt = h.now();
        HttpResponse<String> real = h.slack(deny, signedAt);
        assertTrue(real.body().contains("the request is denied"), real.body());
        ExecutionException denied = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertInstanceOf(DeniedException.class, denied.getCause());
        assertEquals("bob", ((DeniedException) denied.getCause()).deniedBy());
        assertEquals(401, h.slack(deny, signedAt).statusCode(), "replayed");

        List<AuditPayload.Access> refusals = h.accessRefusals();
        List<String> details = refusals.stream().map(AuditPayload.Access::detail).toList();
        assertEquals(6, refusals.size(), details.toString());
        assertTrue(refusals.stream().allMatch(a -> a.channel().equals("slack") && !a.allowed()));
        assertTrue(details.get(0).contains("signature does not verify"), details.toString());
        assertTrue(details.get(1).startsWith("stale"), details.toString());
        assertTrue(details.get(2).startsWith("stale"), details.toString());
        assertTrue(details.get(3).contains("no signature"), details.toString());
        assertEquals("slack user U0MALLORY", refusals.get(4).subject());
        assertEquals(intent.id(), refusals.get(4).intent());
        assertTrue(details.get(4).contains("not mapped"), details.toString());
        assertTrue(details.get(5).startsWith("replayed"), details.toString());
        assertTrue(details.get(2).contains("(2 such refusals so far"), "repeats of unauthenticated refusals are counted: " + details.get(2));
    }

    @Test
    void aT3RequestHasNoButtonsOnlyTheConsoleAndAButtonPressIsRefused() throws Exception {
        Intent intent = h.intent("raise_budget").arg("amount", 50_000).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        FakeChatServices.Post ops = h.services.await("/api/chat.postMessage", 1, p -> p.json().get("channel").asText().equals("C0OPS"));
        h.services.await("/api/chat.postMessage", 1, p -> p.json().get("channel").asText().equals("C0FINANCE")); // routed by role too
        JsonNode blocks = ops.json().get("blocks");
        assertFalse(types(blocks).contains("actions"), "T3: no vote buttons");
        assertTrue(blocks.toString().contains("<https://magistrate.example.test|open the console>"), blocks.toString());

        JsonNode card = h.services.await("/teams/ops", 1).json().get("attachments").get(0).get("content");
        card.get("actions").forEach(a -> assertEquals("Action.OpenUrl", a.get("type").asText(), "T3 card: only the console link"));

        HttpResponse<String> press = h.slack(ChatFixture.slackPress("U0DAVE", SlackMessages.APPROVE, intent.id()), h.now());
        assertEquals(200, press.statusCode());
        assertTrue(press.body().contains("needs a TOTP step-up") && press.body().contains("https://magistrate.example.test"), press.body());
        assertFalse(pending.isDone());
        AuditPayload.Access refusal = h.accessRefusals().get(0);
        assertEquals("slack user U0DAVE", refusal.subject());
        assertTrue(refusal.detail().contains("chat votes are refused at T3"), refusal.detail());
        assertTrue(h.audit().stream().noneMatch(e -> e.type() == AuditEventType.VOTE), "the press never became a vote");
    }

    @Test
    void teamsGetsAnAdaptiveCardAndOnlyHmacSignedFreshActivitiesVote() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 25).justification("[click me](https://evil.example)").build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        JsonNode message = h.services.await("/teams/ops", 1).json();
        assertEquals("message", message.get("type").asText());
        JsonNode attachment = message.get("attachments").get(0);
        assertEquals("application/vnd.microsoft.card.adaptive", attachment.get("contentType").asText());
        JsonNode card = attachment.get("content");
        assertEquals("http://adaptivecards.io/schemas/adaptive-card.json", card.get("$schema").asText());
        assertEquals("AdaptiveCard", card.get("type").asText());
        assertEquals("1.5", card.get("version").asText());
        card.get("body").forEach(b -> assertEquals("RichTextBlock", b.get("type").asText(), "agent text as TextRuns: never rendered as Markdown"));
        assertTrue(card.get("body").toString().contains("[click me](https://evil.example)"));
        JsonNode actions = card.get("actions");
        assertEquals("Action.Submit", actions.get(0).get("type").asText());
        assertEquals(intent.id(), actions.get(0).get("data").get("intent").asText());
        assertEquals(List.of("approve", "deny", "more_info"), List.of(actions.get(0).get("data").get("verdict").asText(),
                actions.get(1).get("data").get("verdict").asText(), actions.get(2).get("data").get("verdict").asText()));
        assertEquals("Action.OpenUrl", actions.get(3).get("type").asText());

        byte[] approveByAlice = teamsActivity("aad-alice", intent.id(), "approve", h.clock.instant().toString());
        HttpResponse<String> forged = h.teams(approveByAlice, "wrong".getBytes(StandardCharsets.UTF_8));
        assertEquals(401, forged.statusCode());
        assertEquals("message", JSON.readTree(forged.body()).get("type").asText(), "Teams shows the refusal as a message");
        HttpResponse<String> stale = h.teams(teamsActivity("aad-alice", intent.id(), "approve", h.clock.instant().minusSeconds(600).toString()), h.teamsSecret);
        assertEquals(401, stale.statusCode());
        HttpResponse<String> ok = h.teams(approveByAlice, h.teamsSecret);
        assertEquals(200, ok.statusCode());
        assertTrue(JSON.readTree(ok.body()).get("text").asText().contains("counts"), ok.body());
        assertEquals(401, h.teams(approveByAlice, h.teamsSecret).statusCode(), "replayed");
        // an @mention to the outgoing webhook works too
        byte[] mention = JSON.createObjectNode().put("type", "message").put("timestamp", h.clock.instant().toString())
                .put("text", "<at>Magistrate</at> approve " + intent.id()).set("from", JSON.createObjectNode().put("aadObjectId", "aad-bob")).toString()
                .getBytes(StandardCharsets.UTF_8);
        assertTrue(h.teams(mention, h.teamsSecret).body().contains("granted"));
        assertEquals(List.of("alice", "bob"), pending.get(5, TimeUnit.SECONDS).approvedBy());

        JsonNode decided = h.services.await("/teams/ops", 2).json().get("attachments").get(0).get("content");
        assertTrue(decided.get("body").toString().contains("Granted at "), decided.toString());
        List<String> details = h.accessRefusals().stream().map(AuditPayload.Access::detail).toList();
        assertEquals(3, details.size(), details.toString());
        assertTrue(details.get(0).contains("signature does not verify") && details.get(1).startsWith("stale") && details.get(2).startsWith("replayed"),
                details.toString());
    }

    static byte[] teamsActivity(String aadUser, String intentId, String verdict, String timestamp) {
        ObjectNode a = JSON.createObjectNode().put("type", "message").put("id", "1700000000000").put("timestamp", timestamp);
        a.putObject("from").put("id", "29:1abc").put("name", "someone").put("aadObjectId", aadUser);
        a.putObject("value").put("intent", intentId).put("verdict", verdict);
        return a.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theWebhookPostIsSignedAndOnlyVotesSignedWithTheCallbackSecretCount() throws Exception {
        Intent intent = h.intent("scale_service").arg("instances", 25).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        FakeChatServices.Post post = h.services.await("/hook", 1);
        String ts = post.header("X-Magistrate-Timestamp");
        assertEquals("v1=" + ChatFixture.hmacHex(h.webhookOut, ts + "." + new String(post.body(), StandardCharsets.UTF_8)),
                post.header("X-Magistrate-Signature"), "the receiver can verify what it got");
        JsonNode event = post.json();
        assertEquals("approval_requested", event.get("event").asText());
        assertEquals(intent.id(), event.get("intent_id").asText());
        assertTrue(event.get("votable").asBoolean());

        byte[] vote = JSON.createObjectNode().put("intent", intent.id()).put("verdict", "deny").put("approver_user", "carol")
                .put("comment", "200 is a DDoS bill").toString().getBytes(StandardCharsets.UTF_8);
        assertEquals(401, h.webhookVote(vote, h.now(), h.webhookOut).statusCode(), "the outbound secret does not sign votes");
        byte[] nobody = JSON.createObjectNode().put("intent", intent.id()).put("verdict", "approve").put("approver_user", "mallory")
                .toString().getBytes(StandardCharsets.UTF_8);
        assertEquals(403, h.webhookVote(nobody, h.now(), h.webhookIn).statusCode());
        HttpResponse<String> counted = h.webhookVote(vote, h.now(), h.webhookIn);
        assertEquals(200, counted.statusCode(), counted.body());
        assertEquals("denied", JSON.readTree(counted.body()).get("state").asText());
        ExecutionException denied = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertTrue(denied.getCause().getMessage().contains("200 is a DDoS bill"));

        JsonNode outcome = h.services.await("/hook", 2).json();
        assertEquals("approval_decided", outcome.get("event").asText());
        assertEquals("denied", outcome.get("state").asText());
        assertEquals("carol", outcome.get("decided_by").asText());
        assertEquals(2, h.accessRefusals().size());
    }

    @Test
    void aRequestWaitingHalfItsTimeoutIsPostedAgainWithTheEscalationRole() throws Exception {
        Intent intent = h.intent("restart_service").arg("service", "web").build(); // 3 s timeout
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        h.services.await("/api/chat.postMessage", 1, p -> p.json().get("channel").asText().equals("C0OPS"));
        assertTrue(h.services.posts("/api/chat.postMessage").stream().noneMatch(p -> p.json().get("channel").asText().equals("C0LEADS")),
                "nobody escalated to yet");

        JsonNode leads = h.services.await("/api/chat.postMessage", 1, p -> p.json().get("channel").asText().equals("C0LEADS")).json();
        JsonNode directors = h.services.await("/api/chat.postMessage", 1, p -> p.json().get("channel").asText().equals("C0DIRECTORS")).json();
        assertEquals(leads.get("blocks").toString(), directors.get("blocks").toString());
        String note = leads.get("blocks").get(1).get("text").get("text").asText();
        assertTrue(note.contains("Escalated") && note.contains("now also asking engineering_director"), note);
        // the posts go out concurrently, so the reminder may land after the escalated ones: wait for it
        JsonNode reminder = h.services.await("/api/chat.postMessage", 2, p -> p.json().get("channel").asText().equals("C0OPS")).json();
        assertEquals(leads.get("blocks").toString(), reminder.get("blocks").toString(), "the original channel is reminded");
        JsonNode hook = h.services.await("/hook", 2).json();
        assertEquals("approval_escalated", hook.get("event").asText());
        assertEquals("[\"engineering_director\"]", hook.get("escalation_roles").toString());

        assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
        JsonNode update = h.services.await("/api/chat.update", 1).json();
        assertTrue(update.get("text").asText().contains("Timed out"), update.toString());
        assertEquals(4, waitForUpdates(4).size(), "all four posts (two first, two escalated ones) are updated");
    }

    private List<FakeChatServices.Post> waitForUpdates(int n) throws InterruptedException {
        h.services.await("/api/chat.update", n);
        return h.services.posts("/api/chat.update");
    }

    @Test
    void aButtonPressCarryingAHugeRequestBackStaysWithinTheConsolesBodyLimit() throws Exception {
        String worst = "<\"&>\\é".repeat(1_000); // the characters that grow most when escaped, JSON-encoded and form-encoded
        Intent intent = h.intent("scale_service").arg("note", worst).justification(worst).rollbackPlan(worst).urgency(worst).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        JsonNode posted = h.services.await("/api/chat.postMessage", 1).json();
        byte[] press = ChatFixture.slackPress("U0BOB", SlackMessages.DENY, intent.id(), posted);
        assertTrue(press.length < 64 * 1024, press.length + " bytes");
        HttpResponse<String> r = h.slack(press, h.now());
        assertEquals(200, r.statusCode(), r.body());
        ExecutionException denied = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertEquals("bob", ((DeniedException) denied.getCause()).deniedBy(), denied.getCause().getMessage());
    }

    @Test
    void aFailingSlackIsRetriedAndNeverDeniesTheIntent() throws Exception {
        h.services.failNext(2);
        Intent intent = h.intent("scale_service").arg("instances", 25).build();
        CompletableFuture<Warrant> pending = h.governor.authorizeAsync(intent);
        assertNotNull(h.services.await("/api/chat.postMessage", 1)); // after two 503s
        assertFalse(pending.isDone(), "the intent still waits: chat trouble never decides");
    }
}
