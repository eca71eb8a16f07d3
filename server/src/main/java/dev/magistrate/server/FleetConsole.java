package dev.magistrate.server;

import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.console.ConsoleHttpServer.Request;
import dev.magistrate.console.ConsoleHttpServer.Response;
import dev.magistrate.console.ConsolePages;
import dev.magistrate.console.ConsoleSessions;
import dev.magistrate.console.ConsoleSignIn;
import dev.magistrate.console.SameOriginGuard;
import dev.magistrate.log.MagistrateLog;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The approval console of the whole fleet, served by every replica: the engine console's pages and templates
 * ({@link ConsolePages}), sign-in ({@link ConsoleSignIn}, personal tokens only, then the approver's TOTP code when the
 * directory gives them a secret) and page guard ({@link SameOriginGuard}: Host, Origin, CSRF token per session), over the
 * requests and votes in PostgreSQL. Sessions are rows ({@link FleetSessions}), so an approver signed in on one replica is
 * served by any. A vote from the page goes through {@link FleetService#vote}, the API's own path, so exactly one verdict
 * wins however votes arrive. Every refusal (a wrong token, a form from elsewhere, a late vote) is a row in {@code refusals}.
 * Approve with changes, questions and break-glass are engine console features the service does not offer.
 */
final class FleetConsole {

    static final int HISTORY_ITEMS = 50;
    static final int PENDING_ITEMS = 200;

    private final FleetService service;
    private final DataSource db;
    private final FleetSessions sessions;
    private final ConsoleSignIn signIn;
    private final Set<String> publicOrigins;
    private final boolean secure;
    /** Set once the server listens (its port may be chosen by the system); until then every request is refused. */
    private volatile SameOriginGuard guard;

    /** {@code publicOrigins}: where people reach the service besides loopback (a TLS proxy's https://host), from --origin. */
    FleetConsole(FleetService service, DataSource db, List<String> publicOrigins) {
        this.service = service;
        this.db = db;
        this.sessions = new FleetSessions(db);
        this.signIn = new ConsoleSignIn(new SignInAudit(service), false);
        this.publicOrigins = new LinkedHashSet<>(publicOrigins);
        this.secure = !publicOrigins.isEmpty() && publicOrigins.stream().allMatch(o -> o.startsWith("https://"));
    }

    void listeningOn(int port) {
        Set<String> origins = new LinkedHashSet<>(publicOrigins);
        origins.add("http://127.0.0.1:" + port);
        origins.add("http://localhost:" + port);
        guard = new SameOriginGuard(origins);
    }

    /**
     * The engine's sign-in checks, audited here: a refusal is a row in {@code refusals}. An accepted token is not yet a
     * sign-in (the TOTP code may follow): the session row, and a log line, record the sign-in once it is one.
     */
    private record SignInAudit(FleetService service) implements ApprovalContext {
        @Override
        public ApproverDirectory approvers() {
            return service.approvers();
        }

        @Override
        public Clock clock() {
            return service.clock();
        }

        @Override
        public void recordAccess(String channel, String subject, boolean allowed, String intent, String detail) {
            if (!allowed) service.recordRefusal(route(ApiRoute.CONSOLE_SIGN_IN), subject, intent, 401, detail);
        }
    }

    Response handle(Request x) {
        SameOriginGuard g = guard;
        if (g == null || !g.hostIsOurs(x)) {
            return ConsolePages.text(421, "This console answers only at its own address (127.0.0.1 or localhost on its port, or an --origin it was given).");
        }
        ApiRoute route = ApiRoute.find(x.method(), x.path(), true);
        if (route == null) {
            return ApiRoute.pathKnown(x.path(), true) ? ConsolePages.text(405, x.method() + " is not allowed here") : ConsolePages.text(404, "no such page");
        }
        String id = route.match(x.path());
        try {
            return switch (route) {
                case CONSOLE_STYLES, CONSOLE_SCRIPT -> ConsolePages.asset(x.path());
                case CONSOLE_SIGN_IN_FORM -> signInPage(x, null, 200);
                case CONSOLE_SIGN_IN -> signIn(g, x);
                default -> signedIn(g, x, route, id);
            };
        } catch (ApiException e) { // the database is unavailable (503): nothing was decided
            service.recordRefusal(route(route), null, id, e.status(), e.getMessage());
            return ConsolePages.text(e.status(), e.getMessage());
        }
    }

    private Response signedIn(SameOriginGuard g, Request x, ApiRoute route, String id) {
        // The list the page polls on its own does not count as use: an unattended open page still ends after IDLE.
        Optional<FleetSessions.Session> found = sessions.find(ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.COOKIE),
                route != ApiRoute.CONSOLE_PENDING_LIST);
        if (found.isEmpty()) return route == ApiRoute.CONSOLE_PENDING_LIST ? ConsolePages.text(401, "sign in first") : ConsolePages.redirect("/signin");
        FleetSessions.Session s = found.get();
        if (service.approvers().find(s.approverId()).isEmpty()) { // removed from the directory since signing in
            sessions.close(s);
            return ConsolePages.redirect("/signin").with("Set-Cookie", ConsoleSessions.clearCookie(secure));
        }
        if (x.method().equals("POST")) {
            Map<String, String> form = SameOriginGuard.form(x);
            String refused = g.refusedPost(x, form.get("csrf"), s.csrf());
            if (refused != null) {
                service.recordRefusal(route(route), s.approverId(), id, 403, "form refused: " + refused);
                return ConsolePages.text(403, "Refused: " + refused + ". Reload the page and try again.");
            }
            if (route == ApiRoute.CONSOLE_SIGN_OUT) {
                sessions.close(s);
                return ConsolePages.redirect("/signin").with("Set-Cookie", ConsoleSessions.clearCookie(secure));
            }
            return vote(s, id, form);
        }
        return switch (route) {
            case CONSOLE_PENDING -> page("pending", new ConsolePages.PendingPage(frame("Pending", s, "pending"), pendingCards()));
            case CONSOLE_PENDING_LIST -> ConsolePages.html(200, "pending_list", Map.of("cards", pendingCards()));
            case CONSOLE_HISTORY -> page("history", new ConsolePages.HistoryPage(frame("History", s, "history"), rows(Query.ENDED, null).stream()
                    .map(r -> new ConsolePages.Ended(r.card(), r.ended, List.of(), null, null)).toList(), null));
            case CONSOLE_REQUEST -> request(s, id);
            default -> throw new IllegalStateException(route.name());
        };
    }

    // ---- sign-in ---------------------------------------------------------------------------------------------------

    private Response signInPage(Request x, String error, int status) {
        String token = ConsoleSessions.signInToken(x.header("Cookie"));
        return ConsolePages.html(status, "signin", Map.of("page", new ConsolePages.SignInPage(ConsolePages.Frame.signIn(true), error), "signInToken", token))
                .with("Set-Cookie", ConsoleSessions.signInCookie(token, secure));
    }

    private Response signIn(SameOriginGuard g, Request x) {
        Map<String, String> form = SameOriginGuard.form(x);
        String claimed = form.get("approver");
        String refused = g.refusedPost(x, form.get("csrf"), ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.SIGNIN_COOKIE));
        if (refused != null) {
            service.recordRefusal(route(ApiRoute.CONSOLE_SIGN_IN), claimed, null, 403, "sign-in form refused: " + refused);
            return signInPage(x, "The sign-in form was not sent from this console's page (" + refused + "). Try again.", 403);
        }
        Optional<ConsoleSignIn.SignedIn> in = signIn.attempt(claimed, form.getOrDefault("secret", "").toCharArray(), x.remote());
        if (in.isEmpty()) return signInPage(x, signIn.refusal(), 401);
        Approver a = in.get().approver();
        String how = in.get().how();
        if (a.hasTotp()) { // the directory gives this approver an authenticator: the token alone does not sign in
            String code = form.get("totp");
            try {
                if (code == null || code.isBlank()) throw new ApiException(401, "totp", "an authenticator code is required for " + a.id());
                service.checkTotp(a, code.strip());
            } catch (ApiException e) {
                if (e.status() == 503) throw e;
                service.recordRefusal(route(ApiRoute.CONSOLE_SIGN_IN), a.id(), null, e.status(), "sign-in refused: " + e.getMessage());
                return signInPage(x, "Sign-in failed: " + e.getMessage() + ".", 401);
            }
            how += " and TOTP";
        }
        sessions.find(ConsoleSessions.cookie(x.header("Cookie"), ConsoleSessions.COOKIE), false).ifPresent(sessions::close); // a new id at every sign-in
        String cookie = sessions.open(a.id(), how);
        MagistrateLog.info(FleetConsole.class, "replica " + service.replica() + ": " + a.id() + " signed in from " + x.remote() + " with " + how);
        return ConsolePages.redirect("/").with("Set-Cookie", ConsoleSessions.setCookie(cookie, secure));
    }

    // ---- pages -----------------------------------------------------------------------------------------------------

    private ConsolePages.Frame frame(String title, FleetSessions.Session s, String nav) {
        return ConsolePages.Frame.fleet(title, s.approverId(), s.csrf(), sessions.takeFlash(s), nav);
    }

    private Response request(FleetSessions.Session s, String id) {
        service.find(null, id); // a due timeout is applied first
        List<Row> found = rows(Query.ONE, id);
        if (found.isEmpty()) return flash(s, "/", "No request " + id + " is known to the service.");
        ConsolePages.Card card = found.get(0).card();
        boolean self = s.approverId().equals(card.agent());
        String whyNot = self ? "You are " + s.approverId() + ", the agent that asked for this call: the requesting agent can never vote on its own request." : null;
        return page("request", new ConsolePages.RequestPage(frame(card.action(), s, null), card, !self, whyNot));
    }

    private Response vote(FleetSessions.Session s, String id, Map<String, String> form) {
        String back = "/requests/" + id;
        String verdict = form.getOrDefault("verdict", "");
        String comment = blankToNull(form.get("comment"));
        if (!verdict.equals("approve") && !verdict.equals("deny")) return flash(s, back, "Choose approve or deny.");
        if (verdict.equals("deny") && comment == null) return flash(s, back, "A denial needs a reason: the agent reads it.");
        String what = verdict.equals("approve") ? "approval" : "denial";
        try {
            Approver approver = service.approver(s.approverId());
            FleetService.VoteOutcome o = service.vote(id, approver, "console session (" + s.how() + ")", verdict.equals("approve"), comment,
                    blankToNull(form.get("totp")));
            return flash(s, back, "Your " + what + " counted; the request is now " + o.state() + " (" + o.approvals() + " of "
                    + o.requiredApprovals() + " approvals).");
        } catch (ApiException e) {
            if (e.status() == 503) throw e;
            service.recordRefusal(route(ApiRoute.CONSOLE_VOTE), s.approverId(), id, e.status(), e.getMessage());
            return flash(s, back, "Your " + what + " was not counted: " + e.getMessage());
        }
    }

    private List<ConsolePages.Card> pendingCards() {
        return rows(Query.PENDING, null).stream().map(Row::card).toList();
    }

    private enum Query {
        PENDING("r.state = 'pending' AND r.deadline > clock_timestamp() ORDER BY r.submitted_at LIMIT " + PENDING_ITEMS),
        ENDED("r.effect = 'approve' AND r.state <> 'pending' ORDER BY r.decided_at DESC LIMIT " + HISTORY_ITEMS),
        ONE("r.id = ?");

        final String where;

        Query(String where) {
            this.where = where;
        }
    }

    /** Requests with their votes, from the {@code requests} and {@code votes} tables: two statements whatever their number. */
    private List<Row> rows(Query q, String id) {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT r.id, r.agent_id, r.action, r.args_json, r.justification, r.urgency, r.cost, r.tier,"
                    + " r.matched_rules, r.required_roles, r.required_approvals, r.mfa_required, r.deadline, r.submitted_at, r.state, r.decided_at"
                    + " FROM requests r WHERE " + q.where)) {
                if (id != null) ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) rows.put(rs.getString(1), new Row(rs));
                }
            }
            if (rows.isEmpty()) return List.of();
            Array ids = c.createArrayOf("text", rows.keySet().toArray());
            try (PreparedStatement ps = c.prepareStatement("SELECT request_id, approver_id, verdict, comment, credential, replica, cast_at FROM votes"
                    + " WHERE request_id = ANY (?) ORDER BY cast_at, approver_id")) {
                ps.setArray(1, ids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.get(rs.getString(1)).votes.add(new ConsolePages.VoteLine(rs.getTimestamp(7).toInstant(), rs.getString(2), rs.getString(3),
                                rs.getString(4), null, rs.getString(5) + " via " + rs.getString(6), true, null));
                    }
                }
            }
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
        return List.copyOf(rows.values());
    }

    /** One row of {@code requests} as a card shows it (the engine console's card, without the parts the service does not keep). */
    private static final class Row {
        final ConsolePages.Card partial;
        final List<ConsolePages.VoteLine> votes = new ArrayList<>();
        final String ended;

        Row(ResultSet rs) throws SQLException {
            Timestamp deadline = rs.getTimestamp(13);
            Timestamp decided = rs.getTimestamp(16);
            String state = rs.getString(15);
            java.math.BigDecimal cost = rs.getBigDecimal(7);
            String args = rs.getString(4);
            partial = new ConsolePages.Card(rs.getString(1), null, rs.getString(2), rs.getString(3), null, ConsolePages.args(args, args),
                    rs.getString(5), cost == null ? null : cost.toPlainString(), rs.getString(6), null, rs.getString(8),
                    FleetService.strings(rs.getString(9)), null, FleetService.strings(rs.getString(10)), rs.getInt(11), rs.getBoolean(12),
                    deadline == null ? 0 : deadline.getTime(), deadline == null ? "" : ConsolePages.time(deadline.toInstant()),
                    ConsolePages.time(rs.getTimestamp(14).toInstant()), state, List.of(), 0);
            ended = decided == null ? null : ConsolePages.time(decided.toInstant());
        }

        ConsolePages.Card card() {
            ConsolePages.Card p = partial;
            return new ConsolePages.Card(p.intentId(), p.parentIntentId(), p.agent(), p.action(), p.resource(), p.args(), p.justification(), p.cost(),
                    p.urgency(), p.rollbackPlan(), p.tier(), p.rules(), p.explain(), p.requiredRoles(), p.requiredApprovals(), p.mfa(),
                    p.deadlineMillis(), p.deadline(), p.received(), p.state(), List.copyOf(votes), 0);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private Response flash(FleetSessions.Session s, String to, String message) {
        sessions.flash(s, message);
        return ConsolePages.redirect(to);
    }

    private static Response page(String template, Object model) {
        return ConsolePages.html(200, template, Map.of("page", model));
    }

    private static String route(ApiRoute r) {
        return r.method + " " + r.template;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
