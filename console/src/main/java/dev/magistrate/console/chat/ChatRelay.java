package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;
import dev.magistrate.console.chat.ChatConfig.Target;
import dev.magistrate.log.MagistrateLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Approval requests in Slack, Teams and a generic webhook, and the votes that come back from them. The console
 * backend hands it every request, vote result and end; it posts, escalates and updates off the caller's thread
 * ({@link ChatPoster}), and answers the callbacks under {@code /chat/} on the console's HTTP server:
 * <pre>
 * POST /chat/slack/actions   Slack interactivity (block_actions), X-Slack-Signature v0
 * POST /chat/teams/actions   Teams outgoing webhook (an activity), Authorization: HMAC
 * POST /chat/webhook/votes   {"intent", "verdict", "approver_user", "comment"}, X-Magistrate-Signature v1
 * </pre>
 * A callback becomes a vote only when its signature verifies, its timestamp is within {@link #FRESHNESS} of the
 * clock, it was not seen before, its user maps to an approver in the directory, and the request takes chat votes
 * (T3 and MFA requests need the console's TOTP step-up). The vote then carries
 * {@link ApproverCredential.SignedIn} and the engine checks it like any other. Every refusal is audited as an
 * {@code ACCESS} entry; those of unauthenticated requests (bad signature, stale, replayed) are counted per kind and
 * only the 1st, 2nd, 4th, 8th, ... written, so that anyone able to reach the port cannot flood the log.
 */
public final class ChatRelay implements AutoCloseable {

    /** The answer to a callback, for the console's HTTP server. */
    public record Reply(int status, String contentType, byte[] body) {
    }

    static final Duration FRESHNESS = Duration.ofMinutes(5);
    static final int REPLAY_CAPACITY = 10_000;
    /** After the engine ends an intent with no vote result seen here (a timeout, a backend failure), the update waits this long. */
    static final long ENDED_UPDATE_DELAY_MS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record SlackPost(String channel, String ts) {
    }

    /** One request as chat sees it, from request to its final update. */
    private static final class Pending {
        final ApprovalRequest request;
        final VoteSink votes;
        final RequestFacts facts;
        final long startedNanos = System.nanoTime();
        final Duration timeout;
        final List<SlackPost> slackPosts = new ArrayList<>();
        final Set<String> approvedBy = new LinkedHashSet<>();
        final Set<String> teamsChannels = new LinkedHashSet<>();
        boolean webhook;
        String outcome;
        ScheduledFuture<?> escalation;

        Pending(ApprovalRequest request, VoteSink votes, RequestFacts facts, Duration timeout) {
            this.request = request;
            this.votes = votes;
            this.facts = facts;
            this.timeout = timeout;
        }
    }

    private final ChatConfig config;
    private final ScheduledThreadPoolExecutor executor;
    private final ChatPoster poster;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ReplayGuard replays = new ReplayGuard(FRESHNESS, REPLAY_CAPACITY);
    private final Map<String, AtomicLong> unauthenticated = new ConcurrentHashMap<>();
    private volatile ApprovalContext context;

    public ChatRelay(ChatConfig config) {
        this.config = config;
        executor = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "magistrate-chat");
            t.setDaemon(true); // never keeps the application's JVM alive
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        poster = new ChatPoster(executor);
    }

    public static ChatRelay open(Path configFile) {
        return new ChatRelay(ChatConfig.load(configFile));
    }

    public void attach(ApprovalContext ctx) {
        this.context = ctx;
    }

    private Clock clock() {
        ApprovalContext c = context;
        return c != null ? c.clock() : Clock.systemUTC();
    }

    // ---- requests out ------------------------------------------------------------------------------------------------

    /** Posts the request to every channel its routes name, and schedules its escalation. Returns at once. */
    public void requested(ApprovalRequest r, VoteSink votes) {
        try {
            post(r, votes);
        } catch (RuntimeException e) { // chat is a convenience: the request still waits in the console
            MagistrateLog.warn(ChatRelay.class, "chat: intent " + r.intentId() + " could not be posted", e);
        }
    }

    private void post(ApprovalRequest r, VoteSink votes) {
        Instant now = clock().instant();
        Duration timeout = Duration.between(now, r.deadline());
        Pending p = new Pending(r, votes, RequestFacts.of(r, now, config.consoleUrl()), timeout);
        List<Target> targets = config.targetsFor(r.decision().tier(), Set.copyOf(r.requiredRoles()));
        pending.put(r.intentId(), p);
        notify(p, p.facts, targets, null);
        long delayMs = (long) (timeout.toMillis() * config.escalation().after());
        if (delayMs > 0) {
            synchronized (p) {
                if (p.outcome == null) p.escalation = executor.schedule(() -> escalate(p), delayMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void escalate(Pending p) {
        synchronized (p) {
            if (p.outcome != null) return;
        }
        ChatConfig.Escalation e = config.escalation();
        Set<String> roles = new LinkedHashSet<>(p.request.requiredRoles());
        roles.addAll(e.roles());
        List<Target> targets = new ArrayList<>(config.targetsFor(p.request.decision().tier(), roles));
        if (!e.target().equals(Target.NONE) && !targets.contains(e.target())) targets.add(e.target());
        Duration waited = Duration.ofNanos(System.nanoTime() - p.startedNanos);
        String note = "Escalated: waiting for " + RequestFacts.timeLeft(waited) + " of " + RequestFacts.timeLeft(p.timeout)
                + (e.roles().isEmpty() ? "" : "; now also asking " + String.join(", ", e.roles()));
        notify(p, RequestFacts.of(p.request, clock().instant(), config.consoleUrl()), targets, note);
    }

    private void notify(Pending p, RequestFacts f, List<Target> targets, String note) {
        Set<String> slack = new LinkedHashSet<>();
        Set<String> teams = new LinkedHashSet<>();
        boolean webhook = false;
        for (Target t : targets) {
            if (t.slackChannel() != null) slack.add(t.slackChannel());
            if (t.teamsChannel() != null) teams.add(t.teamsChannel());
            webhook |= t.webhook();
        }
        for (String channel : slack) {
            poster.send(slackCall("chat.postMessage", "posting intent " + f.intentId() + " to Slack " + channel,
                    SlackMessages.request(channel, f, note)), answer -> slackPosted(p, answer));
        }
        for (String name : teams) {
            synchronized (p) {
                p.teamsChannels.add(name);
            }
            poster.send(teamsPost(name, TeamsCards.request(f, note), "posting intent " + f.intentId() + " to Teams " + name), ignored -> { });
        }
        if (webhook) {
            synchronized (p) {
                p.webhook = true;
            }
            ObjectNode event = f.json(p.request, note == null ? "approval_requested" : "approval_escalated");
            if (note != null) event.put("note", note).set("escalation_roles", JSON.valueToTree(config.escalation().roles()));
            poster.send(webhookPost(event, "posting intent " + f.intentId() + " to the webhook"), ignored -> { });
        }
    }

    private void slackPosted(Pending p, JsonNode answer) {
        SlackPost post = new SlackPost(answer.path("channel").asText(), answer.path("ts").asText());
        String outcome;
        synchronized (p) {
            outcome = p.outcome;
            if (outcome == null) p.slackPosts.add(post);
        }
        if (outcome != null) updateSlack(p, post, outcome); // decided while the post was on its way
    }

    // ---- decisions --------------------------------------------------------------------------------------------------

    /** A vote the console took (or chat relayed): remembers approvals, and updates the messages once the intent is decided. */
    public void voted(String intentId, Vote vote, VoteResult r) {
        Pending p = pending.get(intentId);
        if (p == null || !r.accepted()) return;
        synchronized (p) {
            if (vote.verdict() == Verdict.APPROVE) p.approvedBy.add(vote.approverId());
        }
        if (!r.state().equals("pending")) finish(p, r.state(), vote.approverId());
    }

    /** The engine ended the intent. When no vote result says how (a timeout, a failure), the messages say it ended. */
    public void ended(String intentId) {
        Pending p = pending.get(intentId);
        if (p == null) return;
        // A deciding vote reaches voted() just after this (the engine withdraws the request before the vote returns).
        try {
            executor.schedule(() -> {
                boolean timedOut = System.nanoTime() - p.startedNanos >= p.timeout.toNanos() - TimeUnit.MILLISECONDS.toNanos(100);
                finish(p, timedOut ? "timed_out" : "ended", null);
            }, ENDED_UPDATE_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            pending.remove(intentId); // the relay is closing: no more updates
        }
    }

    private void finish(Pending p, String state, String decidedBy) {
        List<SlackPost> posts;
        List<String> teams;
        List<String> approvedBy;
        boolean webhook;
        String outcome;
        synchronized (p) {
            if (p.outcome != null) return;
            p.outcome = outcome = outcome(p, state, decidedBy);
            if (p.escalation != null) p.escalation.cancel(false);
            posts = List.copyOf(p.slackPosts);
            teams = List.copyOf(p.teamsChannels);
            webhook = p.webhook;
            approvedBy = List.copyOf(p.approvedBy);
        }
        pending.remove(p.request.intentId());
        for (SlackPost post : posts) updateSlack(p, post, outcome);
        for (String channel : teams) {
            poster.send(teamsPost(channel, TeamsCards.decided(p.facts, outcome), "posting the outcome of intent " + p.request.intentId()
                    + " to Teams " + channel), ignored -> { });
        }
        if (webhook) {
            ObjectNode event = JSON.createObjectNode().put("event", "approval_decided").put("intent_id", p.request.intentId())
                    .put("state", state).put("outcome", outcome).put("decided_by", decidedBy);
            event.set("approved_by", JSON.valueToTree(approvedBy));
            poster.send(webhookPost(event, "posting the outcome of intent " + p.request.intentId() + " to the webhook"), ignored -> { });
        }
    }

    private void updateSlack(Pending p, SlackPost post, String outcome) {
        poster.send(slackCall("chat.update", "updating intent " + p.request.intentId() + " in Slack " + post.channel(),
                SlackMessages.decided(post.channel(), post.ts(), p.facts, outcome)), ignored -> { });
    }

    private String outcome(Pending p, String state, String decidedBy) {
        String at = clock().instant().truncatedTo(ChronoUnit.SECONDS).toString();
        return switch (state) {
            case "granted" -> "Granted at " + at + ", approved by " + String.join(", ", p.approvedBy.stream().map(this::name).toList());
            case "denied" -> "Denied" + (decidedBy != null ? " by " + name(decidedBy) : "") + " at " + at;
            case "timed_out" -> "Timed out at " + at + ": no decision in time, so it was denied";
            default -> "Ended at " + at + " (" + state + "; the console shows why)";
        };
    }

    private String name(String approverId) {
        ApprovalContext c = context;
        return c == null ? approverId : c.approvers().find(approverId).map(Approver::displayName).orElse(approverId);
    }

    // ---- posts -----------------------------------------------------------------------------------------------------

    private ChatPoster.Post slackCall(String method, String what, ObjectNode message) {
        ChatConfig.Slack s = config.slack();
        return new ChatPoster.Post(what, URI.create(s.apiUrl().toString().replaceAll("/+$", "") + "/" + method),
                Map.of("Authorization", "Bearer " + s.botToken(), "Content-Type", "application/json; charset=utf-8"), bytes(message), true);
    }

    private ChatPoster.Post teamsPost(String channel, ObjectNode message, String what) {
        return new ChatPoster.Post(what, config.teams().channels().get(channel), Map.of("Content-Type", "application/json"), bytes(message), false);
    }

    private ChatPoster.Post webhookPost(ObjectNode event, String what) {
        byte[] body = bytes(event);
        String ts = Long.toString(clock().instant().getEpochSecond());
        return new ChatPoster.Post(what, config.webhook().url(), Map.of("Content-Type", "application/json", "X-Magistrate-Timestamp", ts,
                "X-Magistrate-Signature", ChatSignatures.magistrateV1(config.webhook().signingSecret(), ts, body)), body, false);
    }

    // ---- callbacks in ----------------------------------------------------------------------------------------------

    /** A callback under {@code /chat/}; {@code headers} by lower-case name. */
    public Reply handle(String method, String path, Map<String, String> headers, byte[] body) {
        String channel = switch (path) {
            case "/chat/slack/actions" -> "slack";
            case "/chat/teams/actions" -> "teams";
            case "/chat/webhook/votes" -> "webhook";
            default -> null;
        };
        if (channel == null) return json(404, JSON.createObjectNode().put("error", "unknown resource " + path));
        if (!method.equals("POST")) return json(405, JSON.createObjectNode().put("error", "use POST"));
        boolean configured = switch (channel) {
            case "slack" -> config.slack() != null;
            case "teams" -> config.teams() != null;
            default -> config.webhook() != null;
        };
        if (!configured) return json(404, JSON.createObjectNode().put("error", channel + " is not configured in the chat file"));
        ApprovalContext ctx = context;
        if (ctx == null) return json(503, JSON.createObjectNode().put("error", "chat votes are not open yet (no engine attached)"));
        try {
            return switch (channel) {
                case "slack" -> slack(ctx, headers, body);
                case "teams" -> teams(ctx, headers, body);
                default -> webhook(ctx, headers, body);
            };
        } catch (Refused r) {
            return r.reply;
        }
    }

    /** A callback refused, already audited; its answer. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Reply reply;

        Refused(Reply reply) {
            super(null, null, false, false);
            this.reply = reply;
        }
    }

    private Reply slack(ApprovalContext ctx, Map<String, String> headers, byte[] body) {
        String ts = headers.get("x-slack-request-timestamp");
        String expected = ts == null ? null : ChatSignatures.slackV0(config.slack().signingSecret(), ts, body);
        verify(ctx, "slack", expected, headers.get("x-slack-signature"), ts);
        JsonNode payload;
        try {
            payload = JSON.readTree(form(body).getOrDefault("payload", ""));
        } catch (IOException e) {
            payload = null;
        }
        if (payload == null || !payload.path("type").asText().equals("block_actions")) {
            throw refuse(ctx, "slack", "signed request", null, "not a block_actions payload", null, text(400, "Magistrate only takes button presses"));
        }
        String user = payload.path("user").path("id").asText();
        String channel = payload.path("channel").path("id").asText(payload.path("container").path("channel_id").asText());
        JsonNode action = payload.path("actions").path(0);
        Verdict verdict = switch (action.path("action_id").asText()) {
            case SlackMessages.APPROVE -> Verdict.APPROVE;
            case SlackMessages.DENY -> Verdict.DENY;
            case SlackMessages.MORE_INFO -> Verdict.MORE_INFO;
            default -> null;
        };
        if (verdict == null) return json(200, JSON.createObjectNode()); // not one of our buttons: nothing to do
        String intent = action.path("value").asText();
        String answer = chatVote(ctx, "slack", user, intent, verdict, "slack user " + user + " (signed v0 callback)");
        if (!channel.isEmpty() && !user.isEmpty()) {
            poster.send(slackCall("chat.postEphemeral", "answering slack user " + user, SlackMessages.ephemeral(channel, user, answer)), ignored -> { });
        }
        return json(200, JSON.createObjectNode().put("text", answer));
    }

    private Reply teams(ApprovalContext ctx, Map<String, String> headers, byte[] body) {
        String presented = headers.get("authorization");
        String expected = ChatSignatures.teams(config.teams().hmacSecret(), body);
        verify(ctx, "teams", expected, presented, null);
        JsonNode activity;
        try {
            activity = JSON.readTree(body);
        } catch (IOException e) {
            activity = null;
        }
        if (activity == null || !activity.isObject()) {
            throw refuse(ctx, "teams", "signed request", null, "the body is not an activity", null, teamsText(400, "Magistrate did not understand that."));
        }
        // Teams signs the body but puts no time in a header: the activity's own timestamp, inside what is signed, bounds replays.
        Instant signedAt;
        try {
            signedAt = Instant.parse(activity.path("timestamp").asText());
        } catch (DateTimeParseException e) {
            throw refuse(ctx, "teams", "signed request", null, "the activity has no timestamp", null, teamsText(400, "Magistrate did not understand that."));
        }
        fresh(ctx, "teams", signedAt, presented);
        String user = activity.path("from").path("aadObjectId").asText();
        String intent;
        String verdictText;
        if (activity.path("value").isObject()) { // an Action.Submit from the card
            intent = activity.path("value").path("intent").asText();
            verdictText = activity.path("value").path("verdict").asText();
        } else { // an @mention: "approve 01J..."
            String[] words = activity.path("text").asText().replaceAll("<at>[^<]*</at>", " ").strip().split("\\s+");
            verdictText = words.length == 2 ? words[0].toLowerCase(Locale.ROOT) : "";
            intent = words.length == 2 ? words[1] : "";
        }
        Verdict verdict = verdict(verdictText);
        if (verdict == null) return teamsText(200, "Say approve, deny or more_info followed by the intent id, or use the card's buttons.");
        String answer = chatVote(ctx, "teams", user, intent, verdict, "teams user " + user + " (signed HMAC callback)");
        return teamsText(200, answer);
    }

    private Reply webhook(ApprovalContext ctx, Map<String, String> headers, byte[] body) {
        String ts = headers.get("x-magistrate-timestamp");
        String expected = ts == null ? null : ChatSignatures.magistrateV1(config.webhook().callbackSecret(), ts, body);
        verify(ctx, "webhook", expected, headers.get("x-magistrate-signature"), ts);
        JsonNode vote;
        try {
            vote = JSON.readTree(body);
        } catch (IOException e) {
            vote = null;
        }
        Set<String> known = Set.of("intent", "verdict", "approver_user", "comment");
        boolean wellFormed = vote != null && vote.isObject() && vote.path("intent").isTextual() && vote.path("approver_user").isTextual()
                && verdict(vote.path("verdict").asText()) != null && (vote.path("comment").isMissingNode() || vote.path("comment").isTextual()
                || vote.path("comment").isNull());
        if (wellFormed) for (var it = vote.fieldNames(); it.hasNext(); ) wellFormed &= known.contains(it.next());
        if (!wellFormed) {
            throw refuse(ctx, "webhook", "signed request", null, "not a vote", null,
                    json(400, JSON.createObjectNode().put("error", "a vote is {intent, verdict: approve|deny|more_info, approver_user, comment}")));
        }
        String user = vote.get("approver_user").asText();
        Optional<Approver> approver = ctx.approvers().find(user);
        String intent = vote.get("intent").asText();
        if (approver.isEmpty()) {
            throw refuse(ctx, "webhook", "webhook user " + user, intent, "not an approver in the directory", null,
                    json(403, JSON.createObjectNode().put("accepted", false).put("error", "'" + user + "' is not an approver in the directory")));
        }
        Pending p = pending.get(intent);
        String why = notVotable(ctx, "webhook", "webhook user " + user, intent, p);
        if (why != null) return json(409, JSON.createObjectNode().put("accepted", false).put("error", why));
        String comment = vote.path("comment").isTextual() ? RequestFacts.cut(vote.get("comment").asText(), 2000) : null;
        VoteResult r = cast(p, approver.get(), verdict(vote.get("verdict").asText()), comment, "webhook user " + user + " (signed v1 callback)");
        ObjectNode out = JSON.createObjectNode().put("accepted", r.accepted()).put("state", r.state());
        if (r.rejection() != null) out.put("rejection", r.rejection());
        return json(200, out);
    }

    /** Slack and Teams: the mapped approver votes, and the person is told in words what became of it. */
    private String chatVote(ApprovalContext ctx, String channel, String user, String intent, Verdict verdict, String method) {
        String subject = channel + " user " + user;
        Optional<Approver> approver = ctx.approvers().findByChatUser(channel, user);
        String service = channel.equals("slack") ? "Slack" : "Teams";
        if (approver.isEmpty()) {
            refuse(ctx, channel, subject, intent, "the " + service + " user is not mapped to an approver", null, null);
            return "Sorry, your " + service + " account is not linked to an approver in Magistrate, so your vote was not counted. "
                    + "Ask whoever keeps the approver directory to add " + channel + "_user: " + user + " to your entry, or decide in the console: "
                    + config.consoleUrl();
        }
        Pending p = pending.get(intent);
        String why = notVotable(ctx, channel, subject, intent, p);
        if (why != null) return why;
        // A button carries no text: the question is the one every approver asks first, and says where it came from.
        VoteResult r = cast(p, approver.get(), verdict, verdict == Verdict.MORE_INFO
                ? "what is this call for, why these values, and what happens if it does not run? (asked from " + service + ")" : null, method);
        String as = approver.get().displayName();
        if (!r.accepted()) return "Your vote as " + as + " was not counted: " + r.rejection() + ".";
        return switch (r.state()) {
            case "pending" -> "Your " + verdict.wireName() + " as " + as + " counts; the request still waits for more approvals.";
            case "granted" -> "Your approval as " + as + " counts; the request is granted.";
            case "denied" -> "Your " + verdict.wireName() + " as " + as + " counts; the request is denied.";
            default -> "Your vote as " + as + " counts; the request is " + r.state() + ".";
        };
    }

    /** Why a verified callback naming {@code intent} cannot become a vote (the refusal audited), or null when it can. */
    private String notVotable(ApprovalContext ctx, String channel, String subject, String intent, Pending p) {
        if (p == null) {
            refuse(ctx, channel, subject, intent, "no pending request for that intent", null, null);
            return "Intent " + intent + " is not waiting for a decision (already decided, timed out, or unknown).";
        }
        if (!p.facts.votable()) {
            refuse(ctx, channel, subject, intent, "chat votes are refused at " + p.facts.tier() + (p.request.mfaRequired() ? " with MFA" : "")
                    + ": the console's TOTP step-up decides", null, null);
            return "This request needs a TOTP step-up (" + p.facts.tier() + " or MFA), so chat buttons cannot decide it. Decide in the console: "
                    + config.consoleUrl();
        }
        return null;
    }

    private VoteResult cast(Pending p, Approver approver, Verdict verdict, String comment, String method) {
        Vote vote = new Vote(approver.id(), verdict, comment, null, List.of(), Map.of(), new ApproverCredential.SignedIn(approver.id(), method));
        VoteResult r = p.votes.vote(vote);
        voted(p.request.intentId(), vote, r);
        return r;
    }

    /**
     * Checks a signature in constant time, then the timestamp (when the scheme has one in a header) and replay. A failure
     * is refused (401) and audited, thinned.
     */
    private void verify(ApprovalContext ctx, String channel, String expected, String presented, String timestamp) {
        if (presented == null || expected == null) {
            throw refuse(ctx, channel, "unsigned request", null, "no signature or no timestamp", "unsigned", unauthorized(channel, "the request is not signed"));
        }
        if (!ChatSignatures.same(expected, presented)) {
            throw refuse(ctx, channel, "unverified request", null, "the signature does not verify", "bad signature", unauthorized(channel, "the signature does not verify"));
        }
        if (timestamp == null) return; // Teams: the time is inside the body; checked by fresh() once parsed
        Instant signedAt;
        try {
            signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp.strip()));
        } catch (NumberFormatException | DateTimeException e) {
            throw refuse(ctx, channel, "signed request", null, "the timestamp is not a number of seconds", "bad timestamp", unauthorized(channel, "bad timestamp"));
        }
        fresh(ctx, channel, signedAt, presented);
    }

    /** The signed time is within {@link #FRESHNESS} of the clock, and this signature was not seen before. */
    private void fresh(ApprovalContext ctx, String channel, Instant signedAt, String signature) {
        Instant now = ctx.clock().instant();
        if (Duration.between(signedAt, now).abs().compareTo(FRESHNESS) > 0) {
            throw refuse(ctx, channel, "signed request", null, "stale: signed at " + signedAt + ", " + Duration.between(signedAt, now).toSeconds()
                    + " s from now (at most " + FRESHNESS.toSeconds() + " s)", "stale", unauthorized(channel, "the request is stale"));
        }
        switch (replays.check(channel + ":" + signature, signedAt, now)) {
            case REPLAY -> throw refuse(ctx, channel, "signed request", null, "replayed: this signature was already used", "replayed",
                    unauthorized(channel, "the request was already received"));
            case FULL -> throw refuse(ctx, channel, "signed request", null, "too many callbacks within " + FRESHNESS.toMinutes() + " minutes", "full",
                    json(503, JSON.createObjectNode().put("error", "too many callbacks; try again shortly")));
            case FIRST -> { }
        }
    }

    /**
     * Audits a refusal and returns the exception carrying its answer. {@code unauthenticatedKind}: set for requests whose
     * signature did not get them in; of those only the 1st, 2nd, 4th, ... of each kind are written, with the running count.
     */
    private Refused refuse(ApprovalContext ctx, String channel, String subject, String intent, String detail, String unauthenticatedKind,
                           Reply answer) {
        String text = detail;
        if (unauthenticatedKind != null) {
            long n = unauthenticated.computeIfAbsent(channel + ":" + unauthenticatedKind, k -> new AtomicLong()).incrementAndGet();
            if (Long.bitCount(n) != 1) return new Refused(answer);
            if (n > 1) text = detail + " (" + n + " such refusals so far; only the 1st, 2nd, 4th, 8th, ... are written)";
        }
        try {
            ctx.recordAccess(channel, RequestFacts.cut(subject, 200), false, intent == null ? null : RequestFacts.cut(intent, 100), text);
        } catch (RuntimeException e) {
            MagistrateLog.error(ChatRelay.class, "chat: the audit trail refused an access entry; the callback is refused", e);
            return new Refused(json(503, JSON.createObjectNode().put("error", "the audit trail cannot be written; nothing was counted")));
        }
        return new Refused(answer);
    }

    private static Reply unauthorized(String channel, String why) {
        return channel.equals("teams") ? teamsText(401, "Magistrate could not verify this request: " + why + ".")
                : json(401, JSON.createObjectNode().put("error", why));
    }

    private static Verdict verdict(String wire) {
        for (Verdict v : Verdict.values()) if (v.wireName().equals(wire)) return v;
        return null;
    }

    private static Map<String, String> form(byte[] body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) continue;
            try {
                out.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException malformed) {
                // skipped: the payload field is then missing and the request refused
            }
        }
        return out;
    }

    private static Reply teamsText(int status, String text) {
        return json(status, TeamsCards.reply(text));
    }

    private static Reply text(int status, String text) {
        return json(status, JSON.createObjectNode().put("error", text));
    }

    private static Reply json(int status, JsonNode body) {
        return new Reply(status, "application/json; charset=utf-8", bytes(body));
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
