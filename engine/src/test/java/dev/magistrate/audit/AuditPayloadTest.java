package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.magistrate.audit.AuditTestSupport.options;
import static dev.magistrate.audit.AuditTestSupport.verifier;
import static dev.magistrate.audit.CanonicalEntryGoldenTest.GOLDEN;
import static dev.magistrate.audit.CanonicalEntryGoldenTest.INDEX;
import static dev.magistrate.audit.CanonicalEntryGoldenTest.PREV;
import static dev.magistrate.audit.CanonicalEntryGoldenTest.T;
import static org.junit.jupiter.api.Assertions.*;

/** The typed events: the same bytes as before, a strict reader, and the fields of docs/audit-events.md. */
class AuditPayloadTest {

    @TempDir
    Path tmp;

    /** The events of {@link CanonicalEntryGoldenTest#written()}, built from the typed definitions. */
    static Map<AuditEventType, AuditEvent> typed() {
        Map<AuditEventType, AuditEvent> m = new LinkedHashMap<>();
        put(m, "i-1", new AuditPayload.IntentSubmitted("scale_service", "prod/web", "ops-agent", "DDoS \"spike\" \u2615 caf\u00e9", "high",
                "1250.50", null, "{\"replicas\":200,\"service\":\"web\"}", "3b5d5c3712955042212316173ccf37be800a9f0d4ce7a2f0b8f0c35c4d1c41a6", null));
        put(m, "i-1", new AuditPayload.Decision("scale_service", "T3", "approve", List.of("Scale limits", "Prod changes"), "9a1e0c", 2,
                List.of("sre", "lead"), true, "T3 because 'Scale limits' matched", List.of()));
        put(m, "i-1", new AuditPayload.ApprovalRequested("console", 2, List.of("sre"), 900_000));
        put(m, "i-1", new AuditPayload.Vote("carol", List.of("senior_dev"), "approve", null, false, "lacks role sre"));
        put(m, "i-1", new AuditPayload.WarrantIssued("w-7", "{\"action\":\"scale_service\",\"warrant_id\":\"w-7\"}", List.of("sam", "riya"),
                "2026-11-24T10:16:30.123Z"));
        put(m, "i-2", new AuditPayload.IntentDenied("200 replicas is a DDoS bill\nnot a fix", "sam", "approval"));
        put(m, "i-3", new AuditPayload.IntentTimedOut("no decision within PT15M", 900_004));
        put(m, "i-1", new AuditPayload.WarrantVerified("w-7", "valid for this call"));
        put(m, "unknown", new AuditPayload.WarrantRejected("w-8", "warrant already used"));
        put(m, "i-1", new AuditPayload.ExecutionStarted("w-7"));
        put(m, "i-1", new AuditPayload.ExecutionCompleted("scaled web to 4", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 37));
        put(m, "i-4", new AuditPayload.ExecutionFailed("java.lang.IllegalStateException", null, 0));
        put(m, "audit-log", new AuditPayload.LogRecovered("entry 993 was torn: No space left on device", 1, 4199));
        put(m, "access", new AuditPayload.Access("slack", "U024BE7LH", false, "i-1", "signature does not verify"));
        put(m, "i-1", new AuditPayload.ArgumentsEdited("sam", "{\"instances\":200,\"service\":\"web\"}", "{\"instances\":25,\"service\":\"web\"}",
                "sha256:5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9", "T2", List.of("Scale limits"), List.of("riya")));
        put(m, "i-5", new AuditPayload.InformationRequested("sam", "Why 200 and not 25? Show the CPU graph."));
        put(m, "i-6", new AuditPayload.IntentAbandoned("the process restarted while the call waited for approval"));
        put(m, "i-6", new AuditPayload.ShadowDecision("deny", "T3", List.of("deploys", "freeze prod"), "9a1e0c", "rules", null));
        put(m, "policy", new AuditPayload.PolicyLoaded("console: riya", "9a1e0c", "4b7f21", "/etc/magistrate/policy.yaml", 12));
        put(m, "policy", new AuditPayload.PolicyRejected("file watcher", "/etc/magistrate/policy.yaml:6:63: condition ends where a value was expected",
                "4b7f21", "/etc/magistrate/policy.yaml"));
        put(m, "bg-1", new AuditPayload.BreakGlassOpened("bg-1", "riya", List.of("incident_commander"), "personal token", "totp",
                "INC-4711: checkout down", List.of("scale_*"), 2, "2026-11-24T10:45:30Z", "4b7f21"));
        put(m, "i-7", new AuditPayload.BreakGlassUsed("bg-1", "approve", List.of("scale"), 1));
        put(m, "bg-1", new AuditPayload.BreakGlassReviewed("bg-1", "sam", "console sign-in", "ok", "needed during INC-4711"));
        put(m, "i-7", new AuditPayload.RollbackTriggered("signal.error_rate > 0.05", List.of("signal.error_rate=0.07"), "scale_back", "i-8", null));
        put(m, "audit-log", new AuditPayload.WitnessRefused("http://10.0.0.5:8443", 409, "fork", 12, 12,
                "fork: a checkpoint of 12 entries with another root than the witnessed one"));
        put(m, "i-9", new AuditPayload.FleetAnswer("r-1", "denied", "replica-b http://10.0.0.2:8443", List.of(), "No DROP",
                "Dropping tables is never done by an agent."));
        put(m, "i-10", new AuditPayload.CallGranted(
                new AuditPayload.IntentSubmitted("read_logs", "prod/web", "ops-agent", "why \"5xx\"? caf\u00e9", null, "0.25", null,
                        "{\"lines\":100,\"service\":\"web\"}", "5e0b3f2a47d1c8e9b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9", "i-9"),
                new AuditPayload.Decision("read_logs", "T0", "allow", List.of("reads"), "9a1e0c", 0, List.of(), false, "T0 because 'reads' matched",
                        List.of(), List.of("signal.error_rate=0.01"), List.of("100 sum(args.lines, 1h)"))));
        return m;
    }

    private static void put(Map<AuditEventType, AuditEvent> m, String intentId, AuditPayload p) {
        m.put(p.type(), AuditEvent.of(intentId, T, p));
    }

    @Test
    void typedEventsWriteExactlyTheRecordedBytes() {
        Map<AuditEventType, AuditEvent> typed = typed();
        assertEquals(List.of(AuditEventType.values()), List.copyOf(typed.keySet()), "one typed definition per type");
        for (Map.Entry<AuditEventType, AuditEvent> e : typed.entrySet()) {
            assertEquals(GOLDEN.get(e.getKey()), new String(CanonicalEntry.encode(INDEX, PREV, e.getValue()), StandardCharsets.UTF_8),
                    e.getKey().name());
            assertEquals(CanonicalEntryGoldenTest.written().get(e.getKey()), e.getValue());
        }
    }

    @Test
    void everyRecordedEntryReadsBackAsTheTypedEventThatWritesIt() {
        Map<AuditEventType, AuditEvent> typed = typed();
        for (Map.Entry<AuditEventType, String> g : GOLDEN.entrySet()) {
            CanonicalEntry.Decoded d = CanonicalEntry.decode(g.getValue().getBytes(StandardCharsets.UTF_8));
            AuditPayload p = d.payload();
            assertEquals(g.getKey(), p.type());
            assertEquals(typed.get(g.getKey()).payload(), p, g.getKey().name());
            assertEquals(d.event(), AuditEvent.of(d.event().intentId(), d.event().time(), p), "read then written gives the same entry");
        }
    }

    /** AuditEvent.of keeps a typed payload's fields without copying them again: they must still be read-only and the same. */
    @Test
    @SuppressWarnings("unchecked")
    void aTypedEventsFieldsAreReadOnlyAndEqualToTheSameFieldsWrittenUntyped() {
        for (AuditEvent e : typed().values()) {
            assertThrows(UnsupportedOperationException.class, () -> e.fields().put("forged", "yes"), e.type().name());
            assertEquals(new AuditEvent(e.type(), e.intentId(), e.time(), new LinkedHashMap<>(e.fields())), e, e.type().name());
        }
        AuditEvent summarised = AuditEvent.of("i-1", T, new AuditPayload.ShadowDecision("deny", "T3",
                java.util.Collections.nCopies(AuditLimits.MAX_LIST_ELEMENTS + 1, "rule"), "9a1e0c", "rules", null));
        List<String> rules = (List<String>) summarised.fields().get("rules");
        assertTrue(rules.get(rules.size() - 1).contains("[summarised: 257 elements"), rules.get(rules.size() - 1));
        assertThrows(UnsupportedOperationException.class, () -> rules.add("forged"));
    }

    @Test
    void theTypedFieldsAreTheDocumentedOnesInTheDocumentedOrder() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "audit-events.md"));
        Map<AuditEventType, List<String>> documented = new EnumMap<>(AuditEventType.class);
        Matcher row = Pattern.compile("(?m)^\\| `([A-Z_]+)` \\| (.*) \\|$").matcher(doc);
        while (row.find()) {
            String withoutNotes = row.group(2).replaceAll("\\([^)]*\\)", "");
            List<String> names = new ArrayList<>();
            Matcher name = Pattern.compile("`([a-z0-9_]+)`").matcher(withoutNotes);
            while (name.find()) names.add(name.group(1));
            documented.put(AuditEventType.valueOf(row.group(1)), names);
        }
        assertEquals(AuditEventType.values().length, documented.size(), "a table row per type: " + documented.keySet());
        for (AuditEvent e : typed().values()) {
            assertEquals(documented.get(e.type()), List.copyOf(e.payload().fields().keySet()), e.type().name());
        }
    }

    @Test
    void aMissingOrMistypedFieldIsReportedWithTheEntryTheTypeAndTheField() {
        Path dir = tmp.resolve("audit");
        Map<AuditEventType, AuditEvent> typed = typed();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            log.append(typed.get(AuditEventType.INTENT_SUBMITTED));
            log.append(typed.get(AuditEventType.DECISION));
            // Written with the untyped form, as a forger or a damaged writer could: the log itself is intact.
            log.append(AuditEvent.of(AuditEventType.VOTE, "i-1", T, "approver", "carol", "roles", List.of(), "verdict", "approve",
                    "comment", null, "accepted", "yes", "rejection", null));
        }
        assertEquals("OK 3 entries", verifier().verify(dir).summary(), "only the typed reader can tell");

        MalformedAuditEventException e = assertThrows(MalformedAuditEventException.class, () -> AuditTimeline.of(dir));
        assertEquals(2, e.index());
        assertEquals(AuditEventType.VOTE, e.type());
        assertEquals("accepted", e.field());
        assertEquals("entry 2: VOTE field accepted is a string, expected a boolean", e.getMessage());
        assertEquals(e.getMessage(), assertThrows(MalformedAuditEventException.class, () -> AuditReport.of(dir)).getMessage(),
                "the report reads the same definition");

        AuditEvent noTier = AuditEvent.of(AuditEventType.DECISION, "i-9", T, "action", "deploy", "effect", "allow");
        MalformedAuditEventException missing = assertThrows(MalformedAuditEventException.class, noTier::payload);
        assertEquals(-1, missing.index(), "not read from a log");
        assertEquals("DECISION field tier is missing", missing.getMessage());
        AuditEvent nullCount = AuditEvent.of(AuditEventType.INTENT_TIMED_OUT, "i-9", T, "reason", "late", "waited_ms", null);
        assertEquals("INTENT_TIMED_OUT field waited_ms is null, expected an integer",
                assertThrows(MalformedAuditEventException.class, nullCount::payload).getMessage());
        AuditEvent listAsText = AuditEvent.of(AuditEventType.WARRANT_ISSUED, "i-9", T, "warrant_id", "w", "warrant", "{}",
                "approved_by", "sam", "expires_at", null);
        assertEquals("WARRANT_ISSUED field approved_by is a string, expected a list of strings",
                assertThrows(MalformedAuditEventException.class, listAsText::payload).getMessage());
    }

    @Test
    void aDecisionFromBeforeDenyRulesExistedStillReadsAndCountsItsMatchedRules() {
        // Entries written before deny_rules was added end with reason.
        AuditEvent old = AuditEvent.of(AuditEventType.DECISION, "i-5", T, "action", "drop_table", "tier", "T3", "effect", "deny",
                "rules", List.of("never-drop", "prod-freeze"), "policy_version", "9a1e0c", "required_approvals", 0L, "required_roles", List.of(),
                "mfa", false, "reason", "never drop");
        AuditPayload.Decision d = (AuditPayload.Decision) old.payload();
        assertNull(d.denyRules());
        assertEquals(List.of("never-drop", "prod-freeze"), d.denyingRules());
        assertEquals(old, AuditEvent.of("i-5", T, d), "written back without the field it never had");
        assertEquals(Map.of("never-drop", 1L, "prod-freeze", 1L), AuditReport.of(List.of(old)).denialsByRule());
    }

    @Test
    void fieldsANewerEngineAddsAreLeftToTheStoredEvent() {
        AuditEvent newer = AuditEvent.of(AuditEventType.EXECUTION_STARTED, "i-1", T, "warrant_id", "w-7", "host", "web-3");
        assertEquals(new AuditPayload.ExecutionStarted("w-7"), newer.payload());
        assertEquals("web-3", newer.fields().get("host"));
    }

    @Test
    void anEntryWhoseTypeNoLongerParsesIsNamedByItsIndex() throws Exception {
        Path dir = tmp.resolve("audit");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(dir))) {
            AuditTestSupport.appendEvents(log, 0, 6);
        }
        Path cycle = AuditTestSupport.cycleFile(dir);
        long at = AuditTestSupport.find(cycle, "\"type\":\"DECISION\",\"intent_id\":\"intent-4\"");
        AuditTestSupport.overwrite(cycle, at + "\"type\":\"DECISIO".length(), new byte[]{'X'});
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AuditReport.of(dir));
        assertEquals("unreadable audit entry 4: unknown event type; run verify", e.getMessage());
        assertEquals(VerificationResult.Status.TAMPERED, verifier().verify(dir).status());
    }
}
