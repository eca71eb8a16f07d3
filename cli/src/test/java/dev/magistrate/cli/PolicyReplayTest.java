package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.DeniedException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, replaying the audit against a candidate: a real audit trail written by the real engine, then decided again
 * with candidates that change nothing, change some calls, or do not load.
 */
class PolicyReplayTest {

    static final String LIVE = """
            policies:
              - name: small scale-ups
                condition: "action == 'scale_service' and args.instances <= 10"
                risk_tier: T0
              - name: big scale-ups
                condition: "action == 'scale_service' and args.instances > 10"
                risk_tier: T1
              - name: health checks
                condition: "action == 'health_check'"
                risk_tier: T0
              - name: no drops
                condition: "action == 'run_sql' and args.sql matches '(?i)drop'"
                effect: deny
                reason: "never drop"
            """;
    /** Freezes scale-ups above 5 and asks a person for health checks: two scale-ups change, one health check's tier rises. */
    static final String CANDIDATE = LIVE + """
              - name: scale-up freeze
                condition: "action == 'scale_service' and args.instances > 5"
                effect: deny
                reason: "no scale-ups above 5 during the freeze"
            """;

    record Run(int status, String out, String err) {
    }

    @TempDir
    Path dir;
    Path auditDir;

    static Run run(String... args) {
        List<String> argv = new ArrayList<>(List.of("policy", "replay"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @BeforeEach
    void recordATrail() throws Exception {
        auditDir = dir.resolve("audit");
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(write("live.yaml", LIVE)).approvals("auto")
                .auditDirectory(auditDir).keysDirectory(dir.resolve("keys")).agentId("ops-agent").build())) {
            m.admit(m.intent("scale_service").arg("service", "web").arg("instances", 8).build()).completed("scaled to 8");
            m.admit(m.intent("scale_service").arg("service", "web").arg("instances", 4).build()).completed("scaled to 4");
            m.admit(m.intent("scale_service").arg("service", "api").arg("instances", 40).build()).completed("scaled to 40");
            m.admit(m.intent("health_check").arg("service", "web").build()).completed("healthy");
            assertThrows(DeniedException.class, () -> m.admit(m.intent("run_sql").arg("sql", "DROP TABLE users").build()));
            m.admit(m.intent("health_check").arg("service", "x".repeat(20_000)).build()).completed("healthy");
        }
    }

    @Test
    void aCandidateThatDecidesAsBeforeExitsZero() throws Exception {
        Run r = run(write("same.yaml", LIVE).toString(), "--audit", auditDir.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("Replayed 6 recorded calls from " + auditDir), r.out());
        assertTrue(r.out().contains("5 unchanged, 0 would change, 1 not replayed."), r.out());
        // The trail holds both kinds of record: four T0 calls granted in one CALL_GRANTED entry each, the rest step by step.
        List<AuditEventType> types = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(auditDir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) types.add(d.event().type());
        }
        assertEquals(4, types.stream().filter(t -> t == AuditEventType.CALL_GRANTED).count(), types::toString);
        assertEquals(2, types.stream().filter(t -> t == AuditEventType.INTENT_SUBMITTED).count(), types::toString);
        assertTrue(r.out().contains("its arguments were stored summarised"), "said, not guessed: " + r.out());
    }

    @Test
    void aCandidateThatWouldDenyWhatRanReportsItByRuleAndExitsOne() throws Exception {
        Path candidate = write("candidate.yaml", CANDIDATE.replace("""
                  - name: health checks
                    condition: "action == 'health_check'"
                    risk_tier: T0
                """, """
                  - name: health checks
                    condition: "action == 'health_check'"
                    risk_tier: T1
                """));
        Run r = run(candidate.toString(), "--audit", auditDir.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        String out = r.out();
        assertTrue(out.contains("2 unchanged, 3 would change, 1 not replayed."), out);
        assertTrue(out.contains("""
                rule 'scale-up freeze' (2):
                  granted then, denied now: 2
                """), out);
        assertTrue(out.matches("(?s).*  scale_service  agent ops-agent  \\{\"instances\":8,\"service\":\"web\"}  T0 allow -> T3 deny  \\(ran then\\)  intent .*"), out);
        assertTrue(out.matches("(?s).*  \\{\"instances\":40,\"service\":\"api\"}  T1 approve -> T3 deny  \\(ran then\\).*"), out);
        assertTrue(out.contains("""
                rule 'health checks' (1):
                  tier raised: 1
                """), out);
        assertTrue(out.indexOf("rule 'scale-up freeze'") < out.indexOf("rule 'health checks'"), "the largest group first");

        Run json = run(candidate.toString(), "--audit", auditDir.toString(), "--json");
        assertEquals(1, json.status());
        JsonNode report = new ObjectMapper().readTree(json.out());
        assertEquals(6, report.get("recorded").asInt());
        assertEquals(3, report.get("changed").asInt());
        assertEquals("granted_then_denied_now", report.get("changes").get(0).get("kind").asText());
        assertEquals("rule 'scale-up freeze'", report.get("changes").get(0).get("group").asText());
        assertTrue(report.get("changes").get(0).get("ran").asBoolean());
        assertEquals(1, report.get("not_replayed").size());
    }

    @Test
    void aRuleTakenOutIsWhatADeniedCallIsNowGrantedBy() throws Exception {
        Path candidate = write("candidate.yaml", LIVE.substring(0, LIVE.indexOf("  - name: no drops")));
        Run r = run(candidate.toString(), "--audit", auditDir.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("""
                no longer matching: rule 'no drops' (1):
                  denied then, granted now: 1
                """), r.out());
        assertTrue(r.out().matches("(?s).*  run_sql  agent ops-agent  \\{\"sql\":\"DROP TABLE users\"}  T3 deny -> T1 approve  \\(did not run then\\).*"),
                r.out());
    }

    @Test
    void sinceLimitsTheReplayToRecentCalls() throws Exception {
        Path candidate = write("candidate.yaml", CANDIDATE);
        assertEquals(1, run(candidate.toString(), "--audit", auditDir.toString(), "--since", "1h").status());
        Run future = run(candidate.toString(), "--audit", auditDir.toString(), "--since", Instant.now().plusSeconds(3600).toString());
        assertEquals(0, future.status(), future.out());
        assertTrue(future.out().contains("Replayed 0 recorded calls"), future.out());
        Run bad = run(candidate.toString(), "--audit", auditDir.toString(), "--since", "yesterday");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--since: an ISO-8601 instant"), bad.err());
    }

    @Test
    void badInputExitsTwoWithItsLocation() throws Exception {
        Path broken = write("broken.yaml", LIVE.replace("risk_tier: T1", "risk_tier: T9"));
        Run r = run(broken.toString(), "--audit", auditDir.toString());
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().matches("(?s).*broken\\.yaml:7:\\d+: .*T9.*"), r.err());
        Run noAudit = run(write("same.yaml", LIVE).toString(), "--audit", dir.resolve("nowhere").toString());
        assertEquals(2, noAudit.status());
        assertTrue(noAudit.err().contains("--audit: no such directory"), noAudit.err());
        assertEquals(2, run(dir.resolve("missing.yaml").toString(), "--audit", auditDir.toString()).status());
    }

    @Test
    void signalsAreReplayedAsRecordedAndWhatWasNotRecordedIsNotGuessed() throws Exception {
        Path signalled = dir.resolve("signalled");
        String live = """
                policies:
                  - name: deploys
                    condition: "action == 'deploy'"
                    risk_tier: T0
                  - name: during an incident
                    condition: "signal.incident == 1"
                    raise_tier: 1
                """;
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(write("signalled.yaml", live)).approvals("auto")
                .auditDirectory(signalled).keysDirectory(dir.resolve("keys2")).agentId("ops-agent").signalsJmx(false).build())) {
            m.signal("incident", 1);
            m.admit(m.intent("deploy").arg("service", "web").build()).completed("deployed");
        }
        // The recorded incident raises the tier again: replay reads signal.incident as it was then, not as missing.
        Run same = run(write("same-signalled.yaml", live).toString(), "--audit", signalled.toString());
        assertEquals(0, same.status(), same.out() + same.err());
        assertTrue(same.out().contains("1 unchanged, 0 would change."), same.out());
        // A signal the old policy never read, and a sliding window: their values then were never recorded.
        Run unread = run(write("unread.yaml", live + """
                  - name: error budget
                    condition: "signal.error_rate > 0.05"
                    raise_tier: 1
                """).toString(), "--audit", signalled.toString());
        assertEquals(0, unread.status(), unread.out() + unread.err());
        assertTrue(unread.out().contains("0 unchanged, 0 would change, 1 not replayed."), unread.out());
        assertTrue(unread.out().contains("the candidate reads signal.error_rate, which the policy that decided then did not read"), unread.out());
        Run windowed = run(write("windowed.yaml", live + """
                  - name: deploy budget
                    condition: "action == 'deploy' and count(1h) > 3"
                    effect: deny
                    reason: "at most 3 deploys an hour"
                """).toString(), "--audit", signalled.toString());
        assertTrue(windowed.out().contains("the candidate reads the sliding window count(1h), whose state replay does not rebuild"),
                windowed.out());
        assertTrue(windowed.out().contains("0 would change, 1 not replayed."), "not reported as denied now: " + windowed.out());
    }
}
