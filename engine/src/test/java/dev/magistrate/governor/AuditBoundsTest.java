package dev.magistrate.governor;

import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLimits;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.LogRecord;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One huge argument, result or message must not kill the audit log: the real governor on a real
 * Chronicle log stores such values summarised (prefix, length, SHA-256), the warrant still binds the
 * full arguments, the log verifies, and the next call works.
 */
class AuditBoundsTest {

    @TempDir
    Path tmp;

    static final CheckpointSigner SIGNER = CheckpointSigner.fromSeed("magistrate.test/bounds",
            java.util.HexFormat.of().parseHex(CanonicalJson.sha256Hex("bounds key".getBytes(StandardCharsets.UTF_8))));

    static final int MB24 = 24 << 20;

    private ChronicleAuditLog open() {
        return ChronicleAuditLog.open(AuditLogOptions.defaults(tmp.resolve("audit"), "magistrate.test/bounds", SIGNER));
    }

    /** Authorizes, verifies and completes one call with these args and this result; returns its intent. */
    private static Intent call(GovernorHarness h, Map<String, Object> args, Object result) {
        Intent intent = GovernorHarness.intent("read_logs").args(args).build();
        Warrant w = h.governor.authorize(intent);
        Execution ex = h.governor.verify(w, "read_logs", args);
        ex.completed(result);
        return intent;
    }

    @Test
    void aTwentyFourMegabyteArgumentIsGovernedSummarisedAndTheNextCallsWork() throws Exception {
        String huge = "x".repeat(MB24);
        List<Object> bigList = new ArrayList<>();
        for (int i = 0; i < 400_000; i++) bigList.add(Map.of("k" + (i % 7), List.of(i, "v" + i)));
        Map<String, Object> bigMap = new LinkedHashMap<>();
        for (int i = 0; i < 300_000; i++) bigMap.put("key-" + i, "value-" + i);

        Intent hugeString;
        Intent hugeList;
        Intent hugeMap;
        Intent normal;
        try (ChronicleAuditLog log = open();
             GovernorHarness h = new GovernorHarness(tmp, TestPolicy.always(TestPolicy.allow()), null, log)) {
            hugeString = call(h, Map.of("query", huge), "ok");
            hugeList = call(h, Map.of("items", bigList), "ok");
            hugeMap = call(h, Map.of("map", bigMap), huge); // and a huge result
            Intent failing = GovernorHarness.intent("read_logs").arg("n", 1).build();
            Warrant w = h.governor.authorize(failing);
            h.governor.verify(w, "read_logs", Map.of("n", 1)).failed(new IllegalStateException(huge)); // a huge message
            normal = call(h, Map.of("n", 2), "fine");
        }

        VerificationResult r = new AuditLogVerifier(SIGNER.verifier()).verify(tmp.resolve("audit"));
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());

        Map<String, AuditPayload.IntentSubmitted> submitted = new LinkedHashMap<>();
        int entries = 0;
        try (AuditLogReader reader = AuditLogReader.open(tmp.resolve("audit"))) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                if (!(rec instanceof LogRecord.Entry e)) continue;
                entries++;
                assertTrue(e.bytes().length <= AuditLimits.MAX_ENTRY_BYTES, "entry of " + e.bytes().length + " bytes");
                CanonicalEntry.Decoded d = CanonicalEntry.decode(e.bytes());
                if (d.event().type() == AuditEventType.INTENT_SUBMITTED) {
                    submitted.put(d.event().intentId(), (AuditPayload.IntentSubmitted) d.payload());
                }
                for (Object v : d.event().fields().values()) {
                    if (v instanceof String s) assertTrue(s.length() <= AuditLimits.MAX_STRING_CHARS, "field of " + s.length() + " chars");
                }
            }
        }
        assertEquals(5 * 6, entries, "five calls of six entries each");
        for (Intent i : List.of(hugeString, hugeList, hugeMap, normal)) {
            AuditPayload.IntentSubmitted s = submitted.get(i.id());
            assertNotNull(s, "submission of " + i.id());
            // The digest covers the full canonical arguments: the warrant binds exactly what ran.
            assertEquals(i.argsDigest(), s.argsDigest());
        }
        String stored = submitted.get(hugeString.id()).args();
        assertTrue(AuditLimits.isSummarised(stored), stored.substring(0, 80));
        byte[] full = hugeString.argsCanonicalJson().getBytes(StandardCharsets.UTF_8);
        assertTrue(stored.startsWith("{\"query\":\"xxxx"), "keeps a prefix");
        assertTrue(stored.contains(String.valueOf(hugeString.argsCanonicalJson().length())), "says the length: " + stored.substring(AuditLimits.PREFIX_CHARS));
        assertTrue(stored.contains("sha256:" + CanonicalJson.sha256Hex(full)), "says the digest");
        assertEquals(hugeString.argsDigest(), "sha256:" + CanonicalJson.sha256Hex(full));
        assertEquals("{\"n\":2}", submitted.get(normal.id()).args(), "normal-sized values are stored whole");
    }

    @Test
    void anEntryTooLargeEvenAfterSummariesIsRefusedAloneAndTheLogStaysUsable() {
        try (ChronicleAuditLog log = open()) {
            // Untyped events are not summarised: many fields below the string limit add up beyond the entry limit.
            Object[] fields = new Object[2 * 200];
            for (int i = 0; i < 200; i++) {
                fields[2 * i] = "f" + i;
                fields[2 * i + 1] = "y".repeat(AuditLimits.MAX_STRING_CHARS);
            }
            dev.magistrate.audit.AuditEvent big = dev.magistrate.audit.AuditEvent.of(AuditEventType.INTENT_DENIED, "i-big",
                    java.time.Instant.now(), fields);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.append(big));
            assertTrue(e.getMessage().contains("too large"), e.getMessage());
            long index = log.append(dev.magistrate.audit.AuditEvent.of("i-next", java.time.Instant.now(),
                    new AuditPayload.IntentDenied("next", "audit", "audit")));
            assertEquals(0, index, "the refused entry took no index; the next one is appended");
        }
        VerificationResult r = new AuditLogVerifier(SIGNER.verifier()).verify(tmp.resolve("audit"));
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
    }

    /**
     * Capacity (docs/audit-trail.md, "Capacity"): the audit bytes of one T0 call through {@code authorize} and a warrant,
     * INTENT_SUBMITTED to EXECUTION_COMPLETED, with small arguments; prints them, and guards against an accidental blow-up.
     */
    @Test
    void auditBytesPerT0Call() throws Exception {
        assertTrue(auditBytesPerCall("AUDIT-CAPACITY", (h, args) -> call(h, args, "42 lines")) < 4096);
    }

    /** The same for a T0 call admitted in the process (as the agent's are): no warrant, two entries (CALL_GRANTED, the outcome). */
    @Test
    void auditBytesPerAdmittedT0Call() throws Exception {
        long perCall = auditBytesPerCall("AUDIT-CAPACITY-ADMITTED", (h, args) -> h.governor.admit(
                GovernorHarness.intent("read_logs").args(args).build()).completed("42 lines"));
        assertTrue(perCall < 2048);
    }

    private long auditBytesPerCall(String label, java.util.function.BiConsumer<GovernorHarness, Map<String, Object>> call) throws Exception {
        int calls = 2_000;
        try (ChronicleAuditLog log = open();
             GovernorHarness h = new GovernorHarness(tmp, TestPolicy.always(TestPolicy.allow()), null, log)) {
            for (int i = 0; i < calls; i++) call.accept(h, Map.of("service", "web", "lines", 100, "since", "2026-11-24T10:00:00Z"));
        }
        long entryBytes = 0;
        long records = 0;
        long checkpointBytes = 0;
        try (AuditLogReader reader = AuditLogReader.open(tmp.resolve("audit"))) {
            LogRecord rec;
            while ((rec = reader.next()) != null) {
                records++;
                if (rec instanceof LogRecord.Entry e) entryBytes += e.bytes().length + 1;
                if (rec instanceof LogRecord.CheckpointRecord c) checkpointBytes += 1 + 4 + c.note().length() + 32 + 1 + 32L * c.frontier().size();
            }
        }
        long perCall = (entryBytes + checkpointBytes + 4 * records) / calls; // 4: Chronicle's header per document
        System.out.printf("%s %d T0 calls: %d entry bytes, %d checkpoint bytes, %d documents; %d bytes per call"
                + " (records and their 4-byte headers)%n", label, calls, entryBytes, checkpointBytes, records, perCall);
        return perCall;
    }
}
