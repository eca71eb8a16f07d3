package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log encodes an entry straight from its typed payload, with no map of its fields in between, and reuses the formatted
 * second of the time from one entry to the next (issue 14): these prove that path writes exactly the bytes the golden
 * entries and the field maps define.
 */
class TypedEncodingTest {

    @Test
    void everyGoldenEntryReadAsItsPayloadAndWrittenAgainIsTheSameBytes() {
        for (Map.Entry<AuditEventType, String> g : CanonicalEntryGoldenTest.GOLDEN.entrySet()) {
            CanonicalEntry.Decoded stored = CanonicalEntry.decode(g.getValue().getBytes(StandardCharsets.UTF_8));
            AuditEvent typed = AuditEvent.of(stored.event().intentId(), stored.event().time(), stored.payload());
            assertNotNull(typed.written(), "made of a payload");
            assertEquals(g.getValue(), new String(CanonicalEntry.encode(stored.index(), stored.prev(), typed), StandardCharsets.UTF_8),
                    g.getKey().name());
            assertEquals(stored.event().fields(), typed.fields(), g.getKey().name() + ": the fields a reader sees");
        }
    }

    @Test
    void oversizedValuesAreStoredSummarisedOnTheDirectPathAsInTheFieldMap() {
        String huge = "x".repeat(AuditLimits.MAX_STRING_CHARS + 1);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < AuditLimits.MAX_LIST_ELEMENTS + 5; i++) many.add("rule " + i);
        AuditPayload.Decision d = new AuditPayload.Decision("act", "T0", "allow", many, "v1", 0, List.of(), false, huge, List.of(),
                List.of("signal.a=1"), List.of());
        AuditPayload.IntentSubmitted s = new AuditPayload.IntentSubmitted("act", null, "agent", huge, null, null, null, "{}", "d", null);
        Instant t = Instant.parse("2026-11-30T23:59:59.999999Z");
        for (AuditPayload p : List.of(d, s, new AuditPayload.CallGranted(s, d), new AuditPayload.ExecutionFailed("E", huge, 3))) {
            AuditEvent typed = AuditEvent.of("i-1", t, p);
            // The same fields as a reader sees them (bounded when first read), written the untyped way.
            AuditEvent asMap = new AuditEvent(typed.type(), "i-1", t, new LinkedHashMap<>(typed.fields()));
            assertEquals(null, asMap.written());
            byte[] direct = CanonicalEntry.encode(7, CanonicalEntry.NO_PREVIOUS, typed);
            assertEquals(new String(CanonicalEntry.encode(7, CanonicalEntry.NO_PREVIOUS, asMap), StandardCharsets.UTF_8),
                    new String(direct, StandardCharsets.UTF_8), p.type().name());
            assertTrue(new String(direct, StandardCharsets.UTF_8).contains(AuditLimits.SUMMARY_MARK), "summarised");
            assertEquals(typed.fields(), CanonicalEntry.decode(direct).event().fields(), p.type().name());
        }
    }

    @Test
    void aReusedBufferWritesEveryTimeAsAFreshOneDoes() {
        CanonicalEntry.Buffer reused = new CanonicalEntry.Buffer();
        List<Instant> times = List.of(Instant.parse("2026-11-30T23:59:59.000001Z"), Instant.parse("2026-11-30T23:59:59.999999Z"),
                Instant.parse("2026-12-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00.000000999Z"),
                Instant.parse("2026-11-30T23:59:59.5Z"), Instant.parse("+10000-01-01T00:00:00.25Z"), Instant.parse("1970-01-01T00:00:00Z"),
                Instant.parse("1969-12-31T23:59:59.999999Z"), Instant.parse("0000-01-01T00:00:00.000001Z"),
                Instant.parse("9999-12-31T23:59:59.999999Z"), Instant.parse("9999-12-31T23:59:59.999999Z"));
        for (Instant t : times) {
            AuditEvent e = AuditEvent.of("i-1", t, new AuditPayload.ExecutionCompleted("ok", null, 1));
            reused.body(e);
            String body = new String(reused.toArray(), StandardCharsets.UTF_8);
            assertEquals(new String(CanonicalEntry.encodeBody(e), StandardCharsets.UTF_8), body, t.toString());
            assertTrue(body.contains("\"time\":\"" + CanonicalEntry.formatTime(t) + "\""), body);
        }
    }

    @Test
    void aReusedBufferWritesRepeatedAndChangingValuesAsAFreshOneDoes() {
        CanonicalEntry.Buffer reused = new CanonicalEntry.Buffer();
        String reason = "T0 because 'reads' matched: caf\u00e9 \"quoted\"";
        String equalCopy = new String(reason.toCharArray());
        String huge = "y".repeat(AuditLimits.MAX_STRING_CHARS + 10);
        Instant t = Instant.parse("2026-11-30T23:59:59.5Z");
        // The same string objects again and again (kept after the second), an equal copy, other values, a summarised one.
        List<String> reasons = List.of(reason, reason, reason, equalCopy, "other", reason, reason, huge, huge, huge, reason, "", "");
        for (int i = 0; i < reasons.size(); i++) {
            AuditPayload.Decision d = new AuditPayload.Decision("read_logs", "T0", "allow", List.of("reads"), "9a1e0c", 0, List.of(), false,
                    reasons.get(i), List.of(), null, List.of());
            AuditPayload.IntentSubmitted s = new AuditPayload.IntentSubmitted("read_logs", null, "agent-" + (i % 2), null, null, null, null,
                    "{}", "d" + i, null);
            for (AuditPayload p : List.of(new AuditPayload.CallGranted(s, d), d, new AuditPayload.IntentDenied(reasons.get(i), "x", "policy"))) {
                AuditEvent e = AuditEvent.of("i-" + i, t, p);
                reused.body(e);
                assertEquals(new String(CanonicalEntry.encodeBody(e), StandardCharsets.UTF_8), new String(reused.toArray(), StandardCharsets.UTF_8),
                        i + " " + p.type());
                assertEquals(e.fields(), CanonicalEntry.decode(CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, e)).event().fields());
            }
        }
    }

    @Test
    void everyStringIsWrittenAsTheCanonicalFormDefinesIt() {
        List<String> strings = List.of("", "plain", "{\"lines\":100,\"service\":\"web\"}", "back\\slash \\\"", "\"", "\\",
                "quote \" then newline\n", "tab\tand \u0001", "del \u007f", "caf\u00e9 \"x\"", "\ud83d\ude00 \"", "\"\u2615");
        CanonicalEntry.Buffer reused = new CanonicalEntry.Buffer();
        for (String v : strings) {
            StringBuilder expected = new StringBuilder();
            dev.magistrate.canonical.CanonicalJson.appendString(expected, v);
            for (AuditEvent e : List.of(AuditEvent.of("i-1", CanonicalEntryGoldenTest.T, new AuditPayload.IntentDenied(v, v, "policy")),
                    AuditEvent.of(AuditEventType.INTENT_DENIED, "i-1", CanonicalEntryGoldenTest.T, "reason", v))) {
                reused.body(e);
                String body = new String(reused.toArray(), StandardCharsets.UTF_8);
                assertTrue(body.contains("\"reason\":" + expected + (e.written() != null ? ",\"by\":" + expected : "}")), body);
                assertEquals(v, CanonicalEntry.decode(CanonicalEntry.encode(0, CanonicalEntry.NO_PREVIOUS, e)).event().fields().get("reason"));
            }
        }
    }

    @Test
    void entriesWrittenStraightFromPayloadsVerifyAndReadBackInARealLog(@TempDir Path dir) {
        AuditPayload.IntentSubmitted s = new AuditPayload.IntentSubmitted("read_logs", "prod/web", "ops-agent", "why \"5xx\"? caf\u00e9", null,
                "0.25", null, "{\"lines\":100}", "5e0b", null);
        AuditPayload.Decision d = new AuditPayload.Decision("read_logs", "T0", "allow", List.of("reads"), "9a1e0c", 0, List.of(), false,
                "T0 because 'reads' matched", List.of(), null, List.of());
        List<AuditEvent> written = new ArrayList<>();
        Instant t = Instant.parse("2026-11-30T23:59:59.999998Z");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir))) {
            for (int i = 0; i < 5; i++) {
                Instant at = t.plusNanos(1_000L * i); // crosses a second: the kept second is replaced
                AuditEvent granted = AuditEvent.of("i-" + i, at, new AuditPayload.CallGranted(s, d));
                AuditEvent completed = AuditEvent.of("i-" + i, at, new AuditPayload.ExecutionCompleted("ok", null, i));
                log.append(granted);
                log.append(completed);
                written.add(granted);
                written.add(completed);
            }
        }
        List<AuditEvent> read = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (rec instanceof LogRecord.Entry e) read.add(CanonicalEntry.decode(e.bytes()).event());
            }
        }
        assertEquals(written.size(), read.size());
        for (int i = 0; i < read.size(); i++) {
            AuditEvent w = written.get(i);
            assertEquals(new AuditEvent(w.type(), w.intentId(), CanonicalEntry.storedTime(w.time()), w.fields()), read.get(i), "entry " + i);
        }
        assertEquals("OK 10 entries", AuditTestSupport.verifier().verify(dir).summary());
    }
}
