package dev.magistrate.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.Verdict;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.governor.BreakGlass;
import dev.magistrate.governor.BreakGlassRefusedException;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.policy.BreakGlassPolicy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The console's web pages, for people: sign-in, the pending requests (updated live), one request with its decisions,
 * and the history of recently ended intents with their audit timeline.
 *
 * <pre>
 * GET  /signin               the sign-in form           POST /signin     approver id + password or personal token
 * GET  /                     pending requests           POST /signout
 *                                                       POST /policy/reload   (an approver with the role policy_admin)
 * GET  /requests/{intent}    one request                POST /requests/{intent}/vote   approve | deny | approve with changes | more_info
 * GET  /history              recently ended intents     GET  /events     server-sent events: "changed" with an intent id
 * GET  /break-glass          break-glass grants         POST /break-glass/open     (a role the policy's break_glass names, TOTP)
 *                                                       POST /break-glass/review   (any approver but the one who opened it)
 * GET  /fragments/pending    the pending list's HTML    GET  /assets/console.css, /assets/console.js
 * </pre>
 *
 * Every page but sign-in needs a session ({@link ConsoleSessions}); a vote is cast as the session's approver, never as
 * an id from the form, with the credential {@link ApproverCredential.SignedIn}. Every POST must come from the console's
 * own pages ({@link SameOriginGuard}): the Host is the console's, the Origin is the console's, and the form carries the
 * session's CSRF token (the sign-in form: the token of a short cookie set with it).
 */
final class WebConsole {

    static final int HISTORY_ITEMS = 50;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsoleRequests requests;
    private final ApprovalContext context;
    private final ConsoleSessions sessions = new ConsoleSessions();
    private final ConsoleSignIn signIn;
    private final LiveEvents live;
    private final AuditTrails trails;
    private final SameOriginGuard guard;
    private final boolean secure;

    /** {@code port}: where the console listens on loopback; {@code secure}: served over https (cookies get Secure). */
    WebConsole(ConsoleRequests requests, ApprovalContext context, LiveEvents live, AuditTrails trails, int port, boolean secure) {
        this.requests = requests;
        this.context = context;
        this.signIn = new ConsoleSignIn(context);
        this.live = live;
        this.trails = trails;
        this.secure = secure;
        this.guard = SameOriginGuard.loopback(port, secure);
    }

    ConsoleHttpServer.Response handle(ConsoleHttpServer.Request x) {
        if (!guard.hostIsOurs(x)) {
            return text(421, "This console answers only as http://127.0.0.1 or http://localhost on its own port.");
        }
        String path = x.path();
        String method = x.method();
        ConsoleHttpServer.Response asset = ConsolePages.asset(path);
        if (asset != null) return method.equals("GET") ? asset : text(405, "use GET");
        if (path.equals("/favicon.ico")) return text(404, "no icon");
        if (path.equals("/signin")) return method.equals("POST") ? signIn(x) : signInPage(x, null, 200);

        String cookie = ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.COOKIE);
        ConsoleSessions.Session s = sessions.find(cookie, context.clock().instant());
        if (s == null) {
            if (path.equals("/events") || path.startsWith("/fragments/")) return text(401, "sign in first");
            return redirect("/signin");
        }
        if (method.equals("POST")) {
            Map<String, String> form = SameOriginGuard.form(x);
            String refused = guard.refusedPost(x, form.get("csrf"), s.csrf);
            if (refused != null) {
                context.recordAccess(ConsoleApprovalBackend.NAME, s.approverId, false, intentOf(path), "form refused: " + refused);
                return text(403, "Refused: " + refused + ". Reload the page and try again.");
            }
            if (path.equals("/signout")) {
                sessions.close(cookie);
                context.recordAccess(ConsoleApprovalBackend.NAME, s.approverId, true, null, "signed out");
                return redirect("/signin").with("Set-Cookie", ConsoleSessions.clearCookie(secure));
            }
            if (path.equals("/policy/reload")) return flash(s, "/", PolicyReloads.reload(context, s.approverId, "console").message());
            if (path.equals("/break-glass/open")) return openBreakGlass(s, form);
            if (path.equals("/break-glass/review")) return reviewBreakGlass(s, form);
            String intent = intentOf(path);
            if (intent != null && path.equals("/requests/" + intent + "/vote")) return vote(s, intent, form);
            return text(404, "no such page");
        }
        if (!method.equals("GET")) return text(405, "use GET or POST");
        return switch (path) {
            case "/" -> page("pending", new ConsolePages.PendingPage(frame("Pending", s, "pending"), cards()));
            case "/fragments/pending" -> fragment(cards());
            case "/history" -> page("history", history(s));
            case "/break-glass" -> page("breakglass", breakGlassPage(s));
            case "/events" -> events();
            default -> {
                String intent = intentOf(path);
                if (intent != null && path.equals("/requests/" + intent)) yield request(s, intent);
                yield text(404, "no such page");
            }
        };
    }

    // --- sign-in ---

    private ConsoleHttpServer.Response signInPage(ConsoleHttpServer.Request x, String error, int status) {
        String token = ConsoleSessions.signInToken(x.header("Cookie"));
        return ConsolePages.html(status, "signin", Map.of("page", new ConsolePages.SignInPage(ConsolePages.Frame.signIn(false), error), "signInToken", token))
                .with("Set-Cookie", ConsoleSessions.signInCookie(token, secure));
    }

    private ConsoleHttpServer.Response signIn(ConsoleHttpServer.Request x) {
        Map<String, String> form = SameOriginGuard.form(x);
        String expected = ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.SIGNIN_COOKIE);
        String refused = guard.refusedPost(x, form.get("csrf"), expected);
        if (refused != null) {
            context.recordAccess(ConsoleApprovalBackend.NAME, claimed(form.get("approver")), false, null, "sign-in form refused: " + refused);
            return signInPage(x, "The sign-in form was not sent from this console's page (" + refused + "). Try again.", 403);
        }
        String secret = form.getOrDefault("secret", "");
        Optional<ConsoleSignIn.SignedIn> in = signIn.attempt(form.get("approver"), secret.toCharArray(), x.remote());
        if (in.isEmpty()) return signInPage(x, ConsoleSignIn.REFUSED, 401);
        sessions.close(ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.COOKIE)); // a new id at every sign-in
        String id = sessions.open(in.get().approver().id(), in.get().how(), context.clock().instant());
        return redirect("/").with("Set-Cookie", ConsoleSessions.setCookie(id, secure));
    }

    private static String claimed(String id) {
        return id == null || id.isBlank() || id.length() > 128 ? "(no valid id)" : id.strip();
    }

    // --- pages ---

    private ConsolePages.Frame frame(String title, ConsoleSessions.Session s, String nav) {
        boolean policyAdmin = context.approvers().find(s.approverId).map(a -> a.roles().contains(LivePolicy.ADMIN_ROLE)).orElse(false);
        Instant now = context.clock().instant();
        List<ConsolePages.GrantLine> unreviewed = context.breakGlass().map(bg -> bg.unreviewed().stream()
                .map(g -> ConsolePages.grantLine(g, now, s.approverId)).toList()).orElse(List.of());
        return new ConsolePages.Frame(title, s.approverId, s.csrf, s.takeFlash(), nav, policyAdmin, unreviewed, false);
    }

    private List<ConsolePages.Card> cards() {
        return requests.pending().stream().map(ConsolePages::card).toList();
    }

    private ConsoleHttpServer.Response request(ConsoleSessions.Session s, String intent) {
        RequestRecord r = requests.get(intent);
        if (r == null) return flash(s, "/", "No request for intent " + intent + " is held by this console.");
        ConsolePages.Card card = ConsolePages.card(r);
        boolean self = s.approverId.equals(card.agent());
        String whyNot = self ? "You are " + s.approverId + ", the agent that asked for this call: the requesting agent can never vote on its own"
                + " request (the engine refuses it)." : null;
        return page("request", new ConsolePages.RequestPage(frame(card.action(), s, null), card, !self, whyNot));
    }

    private ConsolePages.HistoryPage history(ConsoleSessions.Session s) {
        List<ConsolePages.Ended> items = requests.ended(HISTORY_ITEMS).stream().map(r -> {
            List<AuditTrails.Step> steps = trails.of(r.intentId(), requests::holds);
            boolean onDisk = !steps.isEmpty() && trails.directory() != null;
            String prove = onDisk ? "magistrate audit prove " + trails.directory() + " --entry " + steps.get(steps.size() - 1).index() : null;
            String evidence = onDisk ? "magistrate audit evidence " + trails.directory() + " " + r.intentId() + " --keys KEYS_DIR --out "
                    + r.intentId() + ".zip" : null;
            return new ConsolePages.Ended(ConsolePages.card(r), ConsolePages.time(r.ended()), steps, prove, evidence);
        }).toList();
        return new ConsolePages.HistoryPage(frame("History", s, "history"), items, trails.directory() == null ? null : trails.directory().toString());
    }

    private ConsoleHttpServer.Response events() {
        if (!live.reserve()) return text(503, "too many live pages open; this one retries");
        byte[] start = "retry: 3000\n: connected\n\n".getBytes(StandardCharsets.UTF_8);
        return new ConsoleHttpServer.Response(200, "text/event-stream; charset=utf-8", start, Map.of(), live::adopt);
    }

    // --- break-glass ---

    private ConsolePages.BreakGlassPage breakGlassPage(ConsoleSessions.Session s) {
        Instant now = context.clock().instant();
        List<ConsolePages.GrantLine> grants = new java.util.ArrayList<>(context.breakGlass().map(bg -> bg.grants().stream()
                .map(g -> ConsolePages.grantLine(g, now, s.approverId)).toList()).orElse(List.of()));
        java.util.Collections.reverse(grants); // newest first
        BreakGlassPolicy terms = context.breakGlass().map(BreakGlass::terms).orElse(null);
        Set<String> held = context.approvers().find(s.approverId).map(a -> a.roles()).orElse(Set.of());
        boolean mayOpen = terms != null && terms.roles().stream().anyMatch(held::contains);
        return new ConsolePages.BreakGlassPage(frame("Break-glass", s, "break-glass"), grants, mayOpen,
                terms == null ? List.of() : terms.roles(), terms == null ? 0 : terms.maxUses(), terms == null ? 0 : terms.maxDuration().toMinutes());
    }

    /** The engine checks everything (role, MFA, reason, caps) and audits a refusal; the page says what it said. */
    private ConsoleHttpServer.Response openBreakGlass(ConsoleSessions.Session s, Map<String, String> form) {
        Optional<BreakGlass> bg = context.breakGlass();
        if (bg.isEmpty()) return flash(s, "/break-glass", "This engine has no break-glass.");
        int uses;
        long minutes;
        try {
            uses = Integer.parseInt(form.getOrDefault("uses", "").strip());
            minutes = Long.parseLong(form.getOrDefault("minutes", "").strip());
        } catch (NumberFormatException e) {
            return flash(s, "/break-glass", "Not opened: uses and minutes are whole numbers.");
        }
        List<String> actions = java.util.Arrays.stream(form.getOrDefault("actions", "").split("[,\\s]+")).filter(a -> !a.isBlank()).toList();
        try {
            BreakGlass.Grant g = bg.get().open(new BreakGlass.Opening(s.approverId, signedIn(s), blankToNull(form.get("totp")),
                    form.get("reason"), actions, uses, java.time.Duration.ofMinutes(minutes)));
            return flash(s, "/break-glass", "Break-glass grant " + g.id() + " is open until " + ConsolePages.time(g.expiresAt()) + " for "
                    + g.actions() + ", " + g.uses() + " use(s). Another approver must review it.");
        } catch (BreakGlassRefusedException e) {
            return flash(s, "/break-glass", "Not opened: " + e.getMessage());
        }
    }

    private ConsoleHttpServer.Response reviewBreakGlass(ConsoleSessions.Session s, Map<String, String> form) {
        Optional<BreakGlass> bg = context.breakGlass();
        if (bg.isEmpty()) return flash(s, "/break-glass", "This engine has no break-glass.");
        try {
            BreakGlass.Grant g = bg.get().review(form.get("grant"), s.approverId, signedIn(s), form.get("verdict"), form.get("comment"));
            return flash(s, "/break-glass", "Your review of " + g.id() + " (" + g.review().verdict().wireName() + ") is recorded.");
        } catch (BreakGlassRefusedException e) {
            return flash(s, "/break-glass", "Review not recorded: " + e.getMessage());
        }
    }

    private static ApproverCredential signedIn(ConsoleSessions.Session s) {
        return new ApproverCredential.SignedIn(s.approverId, "console sign-in (" + s.how + ", session)");
    }

    // --- votes ---

    private ConsoleHttpServer.Response vote(ConsoleSessions.Session s, String intent, Map<String, String> form) {
        RequestRecord r = requests.get(intent);
        if (r == null) return text(404, "no request for intent " + intent);
        String back = "/requests/" + intent;
        Verdict verdict = switch (form.getOrDefault("verdict", "")) {
            case "approve" -> Verdict.APPROVE;
            case "deny" -> Verdict.DENY;
            case "more_info" -> Verdict.MORE_INFO;
            default -> null;
        };
        String comment = blankToNull(form.get("comment"));
        if (verdict == null) return flash(s, back, "Choose approve, deny, approve with changes or ask for more information.");
        if (verdict == Verdict.DENY && comment == null) return flash(s, back, "A denial needs a reason: the agent reads it.");
        if (verdict == Verdict.MORE_INFO && comment == null) return flash(s, back, "Write the question the agent should answer.");
        Map<String, Object> edits;
        try {
            edits = edits(ConsolePages.card(r).args(), form);
        } catch (IllegalArgumentException bad) {
            return flash(s, back, "Not sent: " + bad.getMessage());
        }
        Vote vote = new Vote(s.approverId, verdict, comment, blankToNull(form.get("totp")), List.of(), edits, signedIn(s));
        VoteResult result = r.cast(vote, context.clock().instant());
        String what = switch (verdict) {
            case APPROVE -> edits.isEmpty() ? "approval" : "approval with changes";
            case DENY -> "denial";
            case MORE_INFO -> "question";
        };
        return flash(s, back, result.accepted() ? "Your " + what + " counted; the request is now " + result.state() + "."
                : "Your " + what + " was not counted: " + result.rejection());
    }

    /** The arguments the approver changed, each parsed as its requested type; empty when none changed. */
    static Map<String, Object> edits(List<ConsolePages.Arg> args, Map<String, String> form) {
        Map<String, Object> edits = new LinkedHashMap<>();
        for (ConsolePages.Arg a : args) {
            String given = form.get("edit." + a.name());
            if (given == null || given.equals(a.value())) continue;
            String v = given.strip();
            // The kinds the JSON API takes (the engine then checks the argument's own type); lists and objects are not edited.
            Object value = switch (a.type()) {
                case "number" -> {
                    JsonNode n = readJson(v, a.name());
                    if (!n.isNumber()) throw new IllegalArgumentException(a.name() + " is a number, not '" + v + "'");
                    yield n.isIntegralNumber() ? (Object) n.bigIntegerValue() : n.decimalValue();
                }
                case "boolean" -> {
                    if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException(a.name() + " is true or false");
                    yield Boolean.valueOf(v);
                }
                case "text" -> given;
                default -> throw new IllegalArgumentException(a.name() + " is a list or an object, which the console does not edit");
            };
            edits.put(a.name(), value);
        }
        return edits;
    }

    private static JsonNode readJson(String v, String name) {
        try {
            return JSON.readTree(v);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " is a number, not '" + v + "'");
        }
    }

    // --- helpers ---

    private static String intentOf(String path) {
        if (!path.startsWith("/requests/")) return null;
        String rest = path.substring("/requests/".length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        return id.isEmpty() ? null : id;
    }

    private ConsoleHttpServer.Response flash(ConsoleSessions.Session s, String to, String message) {
        s.flash(message);
        return redirect(to);
    }

    private static ConsoleHttpServer.Response page(String template, Object model) {
        return ConsolePages.html(200, template, Map.of("page", model));
    }

    private static ConsoleHttpServer.Response fragment(List<ConsolePages.Card> cards) {
        return ConsolePages.html(200, "pending_list", Map.of("cards", cards));
    }

    private static ConsoleHttpServer.Response redirect(String to) {
        return ConsolePages.redirect(to);
    }

    private static ConsoleHttpServer.Response text(int status, String message) {
        return ConsolePages.text(status, message);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
