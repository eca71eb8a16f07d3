package dev.magistrate.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.governor.BreakGlass;
import dev.magistrate.governor.Execution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Break-glass in the console over real HTTP, with a real engine and the audit log on disk: the page and its forms (role,
 * CSRF, TOTP), the banner on every page until another approver reviews the grant, and the call it lets through.
 */
class ConsoleBreakGlassTest {

    static final String POLICY = ConsoleFixture.POLICY + """
            break_glass:
              roles: [engineering_director]
              max_uses: 2
              max_duration: 30m
            """;

    @TempDir
    Path dir;
    ConsoleFixture h;
    String url;

    @BeforeEach
    void start() throws Exception {
        h = new ConsoleFixture(dir, POLICY);
        url = new ObjectMapper().readTree(Files.readString(h.consoleFile)).get("url").asText();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    WebClient signedIn(String approver) throws Exception {
        WebClient c = new WebClient(url);
        HttpResponse<String> r = c.signIn(approver, h.passwords.get(approver));
        assertEquals(303, r.statusCode(), r.body());
        return c;
    }

    /** Posts a form from the break-glass page and returns the page it redirects to, with its flash. */
    String post(WebClient c, String path, Map<String, String> form) throws Exception {
        HttpResponse<String> r = c.post(path, form);
        assertEquals(303, r.statusCode(), r.body());
        assertEquals("/break-glass", r.headers().firstValue("Location").orElseThrow());
        return c.get("/break-glass").body();
    }

    Map<String, String> opening(WebClient c, String totp) {
        return Map.of("csrf", c.csrf, "reason", "INC-4711: checkout is down", "actions", "scale_service, restart_*", "uses", "2",
                "minutes", "20", "totp", totp);
    }

    String erinsCode() {
        h.clock.advance(Duration.ofSeconds(Totp.STEP_SECONDS));
        return h.totp(ConsoleFixture.ERIN_SECRET);
    }

    List<AuditPayload.Access> refusals() {
        return h.audit().stream().filter(e -> e.type() == AuditEventType.ACCESS).map(e -> (AuditPayload.Access) e.payload())
                .filter(a -> !a.allowed()).toList();
    }

    @Test
    void aDirectorOpensAGrantTheBannerShowsOnEveryPageUntilAnotherApproverReviewsIt() throws Exception {
        WebClient erin = signedIn("erin");
        String page = erin.get("/break-glass").body();
        assertTrue(page.contains("id=\"open-form\""), page);
        assertTrue(page.contains("No break-glass grant has been opened."), page);

        // A wrong code: nothing opens, the refusal is audited and shown.
        String refused = post(erin, "/break-glass/open", opening(erin, "000000".equals(erinsCode()) ? "111111" : "000000"));
        assertTrue(refused.contains("Not opened: MFA failed: wrong TOTP code"), refused);
        assertTrue(h.governor.breakGlass().grants().isEmpty());

        String opened = post(erin, "/break-glass/open", opening(erin, erinsCode()));
        BreakGlass.Grant g = h.governor.breakGlass().grants().get(0);
        assertTrue(opened.contains("Break-glass grant " + g.id() + " is open until "), opened);
        assertEquals(List.of("scale_service", "restart_*"), g.actions());
        AuditPayload.BreakGlassOpened audited = (AuditPayload.BreakGlassOpened) h.audit().stream()
                .filter(e -> e.type() == AuditEventType.BREAK_GLASS_OPENED).findFirst().orElseThrow().payload();
        assertEquals("console sign-in (password, session)", audited.credential());
        assertEquals("erin", audited.openedBy());

        // The T2 call, which needs senior_dev and devops, runs at once under the grant.
        Execution run = h.magistrate.admit(h.intent("scale_service").arg("service", "web").arg("instances", 40).build());
        run.completed("scaled");
        assertEquals(1, h.governor.breakGlass().grant(g.id()).orElseThrow().usesLeft());

        WebClient alice = signedIn("alice");
        for (String path : List.of("/", "/history", "/break-glass")) {
            String body = alice.get(path).body();
            assertTrue(body.contains("class=\"error break-glass-banner\""), path + ": " + body);
            assertTrue(body.contains("Break-glass grant <a href=\"/break-glass#grant-" + g.id() + "\">" + g.id() + "</a> (open), opened by"), body);
        }
        assertFalse(erin.get("/break-glass").body().contains("review-form"), "the opener gets no review form");
        String self = post(erin, "/break-glass/review", Map.of("csrf", erin.csrf, "grant", g.id(), "verdict", "ok", "comment", "fine"));
        assertTrue(self.contains("Review not recorded: 'erin' opened grant " + g.id() + ": a grant is reviewed by a different approver"), self);

        String reviewed = post(alice, "/break-glass/review", Map.of("csrf", alice.csrf, "grant", g.id(), "verdict", "ok",
                "comment", "needed during INC-4711"));
        assertTrue(reviewed.contains("Your review of " + g.id() + " (ok) is recorded."), reviewed);
        assertTrue(reviewed.contains("Reviewed: ok by alice: needed during INC-4711"), reviewed);
        assertFalse(alice.get("/").body().contains("break-glass-banner"), "no banner once reviewed");
        AuditEvent review = h.audit().stream().filter(e -> e.type() == AuditEventType.BREAK_GLASS_REVIEWED).findFirst().orElseThrow();
        assertEquals(g.id(), review.intentId());
    }

    @Test
    void anApproverWithoutTheRoleIsRefusedAndEveryFormNeedsTheCsrfTokenAndTheConsolesOrigin() throws Exception {
        WebClient bob = signedIn("bob");
        assertTrue(bob.get("/break-glass").body().contains("You hold none of the roles that may open a grant (engineering_director)"));
        String refused = post(bob, "/break-glass/open", Map.of("csrf", bob.csrf, "reason", "r", "actions", "scale_service", "uses", "1",
                "minutes", "5", "totp", "123456"));
        assertTrue(refused.contains("Not opened: 'bob' holds none of the roles"), refused);
        assertTrue(refusals().stream().anyMatch(a -> a.channel().equals(BreakGlass.CHANNEL) && a.subject().equals("bob")));

        WebClient erin = signedIn("erin");
        erin.get("/break-glass");
        Map<String, String> noToken = new java.util.HashMap<>(opening(erin, erinsCode()));
        noToken.put("csrf", "forged");
        HttpResponse<String> forged = erin.post("/break-glass/open", noToken);
        assertEquals(403, forged.statusCode());
        assertTrue(forged.body().contains("missing or wrong CSRF token"), forged.body());
        erin.origin = "https://evil.example";
        HttpResponse<String> crossSite = erin.post("/break-glass/open", opening(erin, erinsCode()));
        assertEquals(403, crossSite.statusCode());
        assertTrue(h.governor.breakGlass().grants().isEmpty(), "neither forged form opened a grant");
        assertTrue(refusals().stream().anyMatch(a -> a.subject().equals("erin") && a.detail().contains("form refused")));

        WebClient anonymous = new WebClient(url);
        HttpResponse<String> r = anonymous.get("/break-glass");
        assertEquals(303, r.statusCode(), "sign in first");
    }
}
