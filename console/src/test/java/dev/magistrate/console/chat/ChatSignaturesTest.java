package dev.magistrate.console.chat;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signature schemes against published vectors, and the replay memory's bounds. */
class ChatSignaturesTest {

    @Test
    void slacksOwnWorkedExampleVerifies() {
        // docs.slack.dev/authentication/verifying-requests-from-slack
        String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
                + "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
                + "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assertEquals("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
                ChatSignatures.slackV0("8f742231b10e8888abcd99yyyzzz85a5".getBytes(StandardCharsets.UTF_8), "1531420618", body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void teamsAndV1MatchAnIndependentHmac() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertEquals("HMAC " + java.util.Base64.getEncoder().encodeToString(ChatFixture.hmac(key, body)), ChatSignatures.teams(key, body));
        assertEquals("v1=" + ChatFixture.hmacHex(key, "1700000000.{\"a\":1}"), ChatSignatures.magistrateV1(key, "1700000000", body));
        assertFalse(ChatSignatures.same("v1=ab", null));
        assertFalse(ChatSignatures.same("v1=ab", "v1=ac"));
        assertTrue(ChatSignatures.same("v1=ab", "v1=ab"));
    }

    @Test
    void replaysAreRefusedWithinTheWindowAndMemoryStaysBounded() {
        ReplayGuard g = new ReplayGuard(Duration.ofMinutes(5), 3);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(ReplayGuard.Outcome.FIRST, g.check("a", t, t));
        assertEquals(ReplayGuard.Outcome.REPLAY, g.check("a", t, t.plusSeconds(299)));
        assertEquals(ReplayGuard.Outcome.FIRST, g.check("b", t, t));
        assertEquals(ReplayGuard.Outcome.FIRST, g.check("c", t, t));
        assertEquals(ReplayGuard.Outcome.FULL, g.check("d", t, t), "full of fresh signatures: refuse rather than forget one");
        assertEquals(ReplayGuard.Outcome.FIRST, g.check("d", t.plusSeconds(301), t.plusSeconds(301)), "the old ones expired");
        assertEquals(1, g.size());
    }
}
