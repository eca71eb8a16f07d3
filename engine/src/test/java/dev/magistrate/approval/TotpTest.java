package dev.magistrate.approval;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TotpTest {

    /** RFC 6238 appendix B, SHA-1 seed, last six of the eight published digits. */
    @Test
    void matchesTheRfc6238TestVectors() {
        byte[] seed = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
        assertEquals("287082", Totp.codeAt(seed, Instant.ofEpochSecond(59)));
        assertEquals("081804", Totp.codeAt(seed, Instant.ofEpochSecond(1111111109)));
        assertEquals("050471", Totp.codeAt(seed, Instant.ofEpochSecond(1111111111)));
        assertEquals("005924", Totp.codeAt(seed, Instant.ofEpochSecond(1234567890)));
        assertEquals("279037", Totp.codeAt(seed, Instant.ofEpochSecond(2000000000)));
        assertEquals("353130", Totp.codeAt(seed, Instant.ofEpochSecond(20000000000L)));
    }

    @Test
    void acceptsOneStepEitherSideAndNoMore() {
        byte[] seed = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
        Instant now = Instant.ofEpochSecond(1_700_000_000L);
        long step = Totp.step(now);
        for (long d = -1; d <= 1; d++) {
            assertEquals(step + d, Totp.matchingStep(seed, Totp.code(seed, step + d), now).orElseThrow());
        }
        for (long d : List.of(-3L, -2L, 2L, 3L)) {
            String code = Totp.code(seed, step + d);
            boolean collides = List.of(-1L, 0L, 1L).stream().anyMatch(x -> Totp.code(seed, step + x).equals(code));
            if (!collides) assertTrue(Totp.matchingStep(seed, code, now).isEmpty(), "step offset " + d);
        }
        assertTrue(Totp.matchingStep(seed, "12345", now).isEmpty());
        assertTrue(Totp.matchingStep(seed, "abcdef", now).isEmpty());
        assertTrue(Totp.matchingStep(seed, null, now).isEmpty());
    }

    @Test
    void base32DecodesAsRfc4648() {
        assertArrayEquals("foobar".getBytes(StandardCharsets.US_ASCII), Totp.decodeBase32("MZXW6YTBOI======"));
        assertArrayEquals("foobar".getBytes(StandardCharsets.US_ASCII), Totp.decodeBase32("mzxw 6ytb oi"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Totp.decodeBase32("MZXW1YTB"));
        assertTrue(e.getMessage().contains("character 5"), e.getMessage());
    }

    @Test
    void aCodeThatSucceededIsNeverAcceptedAgain() {
        byte[] seed = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
        Approver alice = new Approver("alice", "Alice", List.of("cfo"), seed);
        MfaVerifier mfa = new MfaVerifier();
        Instant now = Instant.ofEpochSecond(1_700_000_000L);
        String code = Totp.codeAt(seed, now);
        assertNull(mfa.check(alice, code, now));
        assertTrue(mfa.check(alice, code, now).contains("already used"));
        assertTrue(mfa.check(alice, code, now.plusSeconds(25)).contains("already used"), "still inside the window, still refused");
        String previous = Totp.code(seed, Totp.step(now) - 1);
        assertTrue(mfa.check(alice, previous, now).contains("already used"), "an older code after a newer one is refused");
        assertNull(mfa.check(alice, Totp.codeAt(seed, now.plusSeconds(30)), now.plusSeconds(30)));
        assertNotNull(mfa.check(new Approver("bob", null, List.of(), null), "123456", now));
        assertTrue(mfa.check(alice, "", now).contains("missing"));
        assertEquals("wrong TOTP code", mfa.check(alice, "000000".equals(Totp.codeAt(seed, now.plusSeconds(60))) ? "111111" : "000000", now.plusSeconds(60)));
    }
}
