package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.intent.Intent;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What the console's templates (src/main/jte) show: one record per page, and the one place that renders them and serves
 * the console's assets. The engine's console builds the records from what it holds; the fleet service (module
 * {@code server}) builds them from its database and renders the same templates.
 */
public final class ConsolePages {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    private static final String HTML = "text/html; charset=utf-8";
    private static final TemplateEngine TEMPLATES = TemplateEngine.createPrecompiled(null, ContentType.Html, ConsolePages.class.getClassLoader(),
            ConsolePages.class.getPackageName());
    private static final Map<String, ConsoleHttpServer.Response> ASSETS = Map.of(
            "/assets/console.css", asset("console.css", "text/css; charset=utf-8"),
            "/assets/console.js", asset("console.js", "text/javascript; charset=utf-8"));

    private ConsolePages() {
    }

    /**
     * What every page shows: its title, who is signed in (null on the sign-in page), their CSRF token, and a one-time message.
     * {@code policyAdmin}: the signed-in approver may reload the policy (the page shows the button). {@code breakGlass}: the
     * grants no one has reviewed yet, each shown as a banner on every page until it is (empty on the sign-in page).
     * {@code fleet}: served by the fleet service, which signs in with personal tokens (and TOTP), takes approve and deny
     * only, has no break-glass, and refreshes the pending list by polling (a vote may land on any replica).
     */
    public record Frame(String title, String approver, String csrf, String flash, String nav, boolean policyAdmin, List<GrantLine> breakGlass,
                        boolean fleet) {
        public static Frame signIn(boolean fleet) {
            return new Frame("Sign in", null, null, null, null, false, List.of(), fleet);
        }

        /** A signed-in page of the fleet console. */
        public static Frame fleet(String title, String approver, String csrf, String flash, String nav) {
            return new Frame(title, approver, csrf, flash, nav, false, List.of(), true);
        }
    }

    /** A page rendered with this template ({@code pending}, {@code request}, ...) and its parameters. */
    public static ConsoleHttpServer.Response html(int status, String template, Map<String, Object> params) {
        Utf8ByteOutput out = new Utf8ByteOutput();
        TEMPLATES.render(template + ".jte", params, out);
        return new ConsoleHttpServer.Response(status, HTML, out.toByteArray());
    }

    /** The console's stylesheet or script at this path, or null. */
    public static ConsoleHttpServer.Response asset(String path) {
        return ASSETS.get(path);
    }

    private static ConsoleHttpServer.Response asset(String name, String type) {
        try (InputStream in = ConsolePages.class.getResourceAsStream("assets/" + name)) {
            if (in == null) throw new IllegalStateException("console asset " + name + " is missing from the jar");
            return new ConsoleHttpServer.Response(200, type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ConsoleHttpServer.Response redirect(String to) {
        return new ConsoleHttpServer.Response(303, "text/plain; charset=utf-8", new byte[0]).with("Location", to);
    }

    public static ConsoleHttpServer.Response text(int status, String message) {
        return new ConsoleHttpServer.Response(status, "text/plain; charset=utf-8", message.getBytes(StandardCharsets.UTF_8));
    }

    /** One vote as a card lists it; {@code how}: the credential it was cast with; {@code refusal}: why it did not count. */
    public record VoteLine(Instant at, String approver, String verdict, String comment, String edits, String how, boolean counted, String refusal) {
        @Override
        public String toString() {
            return verdict + " by " + approver + (comment != null ? ": " + comment : "") + (edits != null ? " with changes " + edits : "")
                    + (counted ? "" : " (not counted: " + refusal + ")");
        }
    }

    /** A break-glass grant as a banner and the break-glass page show it. {@code state}: open, used up, expired or reviewed. */
    public record GrantLine(String id, String openedBy, List<String> roles, String reason, List<String> actions, int used, int uses, String opened,
                     String expires, String state, String review, boolean mayReview) {
    }

    /** The break-glass page: the grants, and whether this approver may open one (holds a role the policy names). */
    public record BreakGlassPage(Frame frame, List<GrantLine> grants, boolean mayOpen, List<String> roles, int maxUses, long maxMinutes) {
    }

    static GrantLine grantLine(dev.magistrate.governor.BreakGlass.Grant g, Instant now, String viewer) {
        String state = g.reviewed() ? "reviewed" : g.live(now) ? "open" : g.usesLeft() == 0 ? "used up" : "expired";
        String review = !g.reviewed() ? null : (g.review().verdict() == null ? "(unknown verdict)" : g.review().verdict().wireName())
                + " by " + g.review().reviewer() + ": " + g.review().comment(); // a verdict this version does not know still ends the grant
        return new GrantLine(g.id(), g.openedBy(), g.roles(), g.reason(), g.actions(), g.used(), g.uses(), time(g.openedAt()),
                time(g.expiresAt()), state, review, !g.reviewed() && !g.openedBy().equals(viewer));
    }

    public record SignInPage(Frame frame, String error) {
    }

    public record PendingPage(Frame frame, List<Card> cards) {
    }

    public record RequestPage(Frame frame, Card card, boolean mayVote, String whyNot) {
    }

    public record HistoryPage(Frame frame, List<Ended> items, String auditDir) {
    }

    /**
     * One argument: {@code value} as approvals now count for it, {@code requested} what the agent asked for when an
     * approver's edit changed it (else null). {@code type} is its JSON type ({@code number}, {@code boolean},
     * {@code text}, {@code json}); the edit form keeps it, and {@code json} values are not editable.
     */
    public record Arg(String name, String value, String type, String requested) {
        boolean edited() {
            return requested != null;
        }

        boolean isJson() {
            return type.equals("json");
        }

        boolean isNumber() {
            return type.equals("number");
        }

        boolean isBoolean() {
            return type.equals("boolean");
        }
    }

    /** Everything a request card shows. {@code deadlineMillis} drives the count-down in console.js. */
    public record Card(String intentId, String parentIntentId, String agent, String action, String resource, List<Arg> args, String justification,
                String cost, String urgency, String rollbackPlan, String tier, List<String> rules, String explain, List<String> requiredRoles,
                int requiredApprovals, boolean mfa, long deadlineMillis, String deadline, String received, String state,
                List<VoteLine> votes, long votesNotShown) {
        boolean pending() {
            return state.equals("pending");
        }
    }

    /**
     * An intent that ended: its card, when it ended, and its audit timeline. {@code proveCommand} proves its last entry;
     * {@code evidenceCommand} packs the whole call's evidence for an auditor (KEYS_DIR: the agent's key directory).
     */
    public record Ended(Card card, String ended, List<AuditTrails.Step> steps, String proveCommand, String evidenceCommand) {
    }

    static Card card(RequestRecord r) {
        ApprovalRequest q = r.current();
        Intent i = q.intent();
        List<Arg> args = args(i.argsCanonicalJson(), r.requested.intent().argsCanonicalJson());
        return new Card(i.id(), i.parentIntentId(), i.agent(), i.action(), i.resource(), args, i.justification(),
                i.estimatedCost() == null ? null : i.estimatedCost().toString(), i.urgency(), i.rollbackPlan(), q.decision().tier().name(),
                List.copyOf(q.decision().matchedRules()), q.decision().explain(), q.requiredRoles(), q.requiredApprovals(), q.mfaRequired(),
                q.deadline().toEpochMilli(), time(q.deadline()), time(r.received), r.state(), r.votes(), r.votesNotShown());
    }

    /** The arguments now under vote, each with its requested value where an edit changed it. */
    public static List<Arg> args(String currentJson, String requestedJson) {
        List<Arg> out = new ArrayList<>();
        JsonNode now;
        JsonNode asked;
        try {
            now = JSON.readTree(currentJson);
            asked = JSON.readTree(requestedJson);
        } catch (IOException unreadable) {
            return List.of(new Arg("(arguments)", currentJson, "json", null));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = now.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            JsonNode before = asked.get(f.getKey());
            String type = v.isNumber() ? "number" : v.isBoolean() ? "boolean" : v.isTextual() ? "text" : "json";
            out.add(new Arg(f.getKey(), show(v), type, before == null || before.equals(v) ? null : show(before)));
        }
        return out;
    }

    private static String show(JsonNode v) {
        return v.isTextual() ? v.asText() : v.toString();
    }

    public static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }
}
