package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.intent.Intent;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** What the console's templates (src/main/jte) show: one record per page, built from what the console holds. */
final class ConsolePages {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private ConsolePages() {
    }

    /** What every page shows: its title, who is signed in (null on the sign-in page), their CSRF token, and a one-time message. */
    /**
     * {@code policyAdmin}: the signed-in approver may reload the policy (the page shows the button). {@code breakGlass}: the
     * grants no one has reviewed yet, each shown as a banner on every page until it is (empty on the sign-in page).
     */
    record Frame(String title, String approver, String csrf, String flash, String nav, boolean policyAdmin, List<GrantLine> breakGlass) {
    }

    /** A break-glass grant as a banner and the break-glass page show it. {@code state}: open, used up, expired or reviewed. */
    record GrantLine(String id, String openedBy, List<String> roles, String reason, List<String> actions, int used, int uses, String opened,
                     String expires, String state, String review, boolean mayReview) {
    }

    /** The break-glass page: the grants, and whether this approver may open one (holds a role the policy names). */
    record BreakGlassPage(Frame frame, List<GrantLine> grants, boolean mayOpen, List<String> roles, int maxUses, long maxMinutes) {
    }

    static GrantLine grantLine(dev.magistrate.governor.BreakGlass.Grant g, Instant now, String viewer) {
        String state = g.reviewed() ? "reviewed" : g.live(now) ? "open" : g.usesLeft() == 0 ? "used up" : "expired";
        String review = !g.reviewed() ? null : (g.review().verdict() == null ? "(unknown verdict)" : g.review().verdict().wireName())
                + " by " + g.review().reviewer() + ": " + g.review().comment(); // a verdict this version does not know still ends the grant
        return new GrantLine(g.id(), g.openedBy(), g.roles(), g.reason(), g.actions(), g.used(), g.uses(), time(g.openedAt()),
                time(g.expiresAt()), state, review, !g.reviewed() && !g.openedBy().equals(viewer));
    }

    record SignInPage(Frame frame, String error) {
    }

    record PendingPage(Frame frame, List<Card> cards) {
    }

    record RequestPage(Frame frame, Card card, boolean mayVote, String whyNot) {
    }

    record HistoryPage(Frame frame, List<Ended> items, String auditDir) {
    }

    /**
     * One argument: {@code value} as approvals now count for it, {@code requested} what the agent asked for when an
     * approver's edit changed it (else null). {@code type} is its JSON type ({@code number}, {@code boolean},
     * {@code text}, {@code json}); the edit form keeps it, and {@code json} values are not editable.
     */
    record Arg(String name, String value, String type, String requested) {
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
    record Card(String intentId, String parentIntentId, String agent, String action, String resource, List<Arg> args, String justification,
                String cost, String urgency, String rollbackPlan, String tier, List<String> rules, String explain, List<String> requiredRoles,
                int requiredApprovals, boolean mfa, long deadlineMillis, String deadline, String received, String state,
                List<RequestRecord.VoteLine> votes, long votesNotShown) {
        boolean pending() {
            return state.equals("pending");
        }
    }

    /**
     * An intent that ended: its card, when it ended, and its audit timeline. {@code proveCommand} proves its last entry;
     * {@code evidenceCommand} packs the whole call's evidence for an auditor (KEYS_DIR: the agent's key directory).
     */
    record Ended(Card card, String ended, List<AuditTrails.Step> steps, String proveCommand, String evidenceCommand) {
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
    static List<Arg> args(String currentJson, String requestedJson) {
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

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }
}
