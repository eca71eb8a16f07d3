package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CanonicalEntryTest {

    @Test
    void bytesAreExactlyTheDocumentedForm() {
        AuditEvent e = AuditEvent.of(AuditEventType.VOTE, "i-1", Instant.parse("2026-11-24T10:15:30.123456789Z"),
                "approver", "alice", "roles", List.of("sre", "lead"), "accepted", true, "n", 5L, "comment", null);
        byte[] prev = new byte[32];
        prev[31] = 1;
        String expected = "{\"index\":3,\"prev\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                + "\"type\":\"VOTE\",\"intent_id\":\"i-1\",\"time\":\"2026-11-24T10:15:30.123456Z\","
                + "\"fields\":{\"approver\":\"alice\",\"roles\":[\"sre\",\"lead\"],\"accepted\":true,\"n\":5,\"comment\":null}}";
        assertEquals(expected, new String(CanonicalEntry.encode(3, prev, e), StandardCharsets.UTF_8));
    }

    @Test
    void encodingIsDeterministicAndRoundTrips() {
        AuditEvent e = AuditEvent.of(AuditEventType.INTENT_SUBMITTED, "intent \"q\" \\ \u00e9 \ud83d\ude00", Instant.parse("2026-01-01T00:00:00Z"),
                "justification", "line1\nline2\t\u0001\u001f", "cost", "12.50", "args", "{\"a\":1}");
        byte[] a = CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, e);
        byte[] b = CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, e);
        assertArrayEquals(a, b);
        assertTrue(new String(a, StandardCharsets.UTF_8).contains("line1\\nline2\\t\\u0001\\u001f"));
        CanonicalEntry.Decoded d = CanonicalEntry.decode(a);
        assertEquals(0, d.index());
        assertEquals(e, d.event());
    }

    @Test
    void nonCanonicalOrMalformedBytesAreRejectedWithAReason() {
        byte[] good = CanonicalEntry.encode(1, CanonicalEntry.NO_PREVIOUS,
                AuditEvent.of(AuditEventType.DECISION, "i", Instant.parse("2026-01-01T00:00:00Z"), "effect", "deny"));
        String s = new String(good, StandardCharsets.UTF_8);
        assertReject(s.replace("{\"index\"", "{ \"index\""), "not in canonical form");
        assertReject(s.replace("\"DECISION\"", "\"DECIDED\""), "unknown event type");
        assertReject(s.substring(0, s.length() - 1), "not valid JSON");
        assertReject(s.replace("\"effect\":\"deny\"", "\"effect\":1.5"), "unsupported");
        assertReject(s.replace("\"index\":1,", ""), "unexpected keys");
        assertReject(s.replace("\"effect\":\"deny\"", "\"effect\":\"deny\",\"effect\":\"allow\""), "not valid JSON");
        assertReject(s.replace("00000000\"", "0000000g\""), "prev is not 64 hex digits");
    }

    @Test
    void positionReadsIndexAndLinkFromTheCanonicalPrefixOnly() {
        byte[] prev = MerkleTree.leafHash(new byte[]{9});
        AuditEvent e = AuditEvent.of(AuditEventType.DECISION, "i", Instant.parse("2026-01-01T00:00:00Z"), "effect", "deny");
        for (long index : new long[]{0, 7, 1234567890123L}) {
            CanonicalEntry.Position p = CanonicalEntry.position(CanonicalEntry.encode(index, prev, e));
            assertEquals(index, p.index());
            assertArrayEquals(prev, p.prev());
        }
        String s = new String(CanonicalEntry.encode(12, prev, e), StandardCharsets.UTF_8);
        for (String bad : new String[]{s.replace("\"index\":12", "\"index\":012"), s.replace("\"index\":12", "\"index\":"),
                s.replace("{\"index\"", "{ \"index\""), s.replace(",\"prev\":\"", ",\"prev\": \""), s.substring(0, 40),
                s.replace(s.substring(20, 21), "G")}) {
            assertThrows(IllegalArgumentException.class, () -> CanonicalEntry.position(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void theTypeIsReadWithoutDecodingAndNothingElseIsTakenForOne() {
        // Every type's golden bytes, as CanonicalEntryGoldenTest pins them.
        for (Map.Entry<AuditEventType, String> g : CanonicalEntryGoldenTest.GOLDEN.entrySet()) {
            assertEquals(g.getKey(), CanonicalEntry.peekType(g.getValue().getBytes(StandardCharsets.UTF_8)), g.getValue());
        }
        AuditEvent e = AuditEvent.of(AuditEventType.DECISION, "i", Instant.parse("2026-01-01T00:00:00Z"), "effect", "deny");
        String s = new String(CanonicalEntry.encode(12, CanonicalEntry.NO_PREVIOUS, e), StandardCharsets.UTF_8);
        // Null for a prefix position() refuses or a type that is not one: the reader then decodes, and says why.
        for (String bad : new String[]{s.replace("{\"index\"", "{ \"index\""), s.replace("\"index\":12", "\"index\":"),
                s.replace("\"index\":12", "\"index\":012"), s.replace(s.substring(20, 21), "G"),
                s.replace(",\"prev\":\"", ",\"prev\": \""), s.replace("\"type\":\"DECISION\"", "\"type\":\"DECIDED\""),
                s.replace("\"type\":\"DECISION\"", "\"type\":\"\""), s.replace("\"type\":\"DECISION\"", "\"type\": \"DECISION\""),
                s.replace("\"type\":\"DECISION\"", "\"kind\":\"DECISION\""), s.replace("\"type\":\"DECISION\"", "\"type\":\"decision\""),
                s.substring(0, s.indexOf("DECISION") + 4), s.substring(0, 30)}) {
            assertNull(CanonicalEntry.peekType(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void stringsThatUtf8CannotCarryAreRefused() {
        AuditEvent e = AuditEvent.of(AuditEventType.VOTE, "i", Instant.EPOCH, "comment", "broken \ud800 surrogate");
        assertThrows(IllegalArgumentException.class, () -> CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, e));
    }

    private static void assertReject(String bytes, String reasonPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CanonicalEntry.decode(bytes.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains(reasonPart), e.getMessage() + " / expected " + reasonPart);
    }
}
