package dev.magistrate.cli;

import dev.magistrate.approval.ApproverCredential;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.EvidenceBundle;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.BreakGlass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.magistrate.cli.EvidenceCommandTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code audit break-glass DIR} on an audit trail written by a real engine: unreviewed grants are listed, and exit 1 until reviewed. */
class AuditBreakGlassTest {

    static final String ERIN_SECRET = "ONSWG4TFORZWK4TFORZWK4TFORZWK4TF";

    @TempDir
    Path dir;

    @Test
    void anUnreviewedGrantIsListedWithExit1UntilAnotherApproverReviewsIt() throws Exception {
        String erinToken = ApproverToken.mint(), aliceToken = ApproverToken.mint();
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - {id: alice, roles: [senior_dev], token_sha256: %s}
                  - {id: erin, roles: [engineering_director], totp_secret: %s, token_sha256: %s}
                """.formatted(ApproverToken.sha256Hex(aliceToken), ERIN_SECRET, ApproverToken.sha256Hex(erinToken)));
        Files.writeString(dir.resolve("policy.yaml"), """
                policies:
                  - {name: scale, condition: "action == 'scale_web'", risk_tier: T2}
                break_glass: {roles: [engineering_director], max_uses: 2, max_duration: 15m}
                """);
        MagistrateSettings settings = MagistrateSettings.builder().policy(dir.resolve("policy.yaml")).approvers(dir.resolve("approvers.yaml"))
                .auditDirectory(dir.resolve("audit")).keysDirectory(dir.resolve("keys")).signalsJmx(false).build();
        Path audit = dir.resolve("audit");
        String grant;
        dev.magistrate.intent.Intent scale;
        try (Magistrate m = Magistrate.open(settings)) {
            String code = Totp.codeAt(Totp.decodeBase32(ERIN_SECRET), Instant.now());
            grant = m.governor().breakGlass().open(new BreakGlass.Opening("erin", new ApproverCredential.PersonalToken(erinToken), code,
                    "INC-9: checkout down", List.of("scale_web"), 2, Duration.ofMinutes(15))).id();
            scale = m.intent("scale_web").arg("instances", 40).build();
            m.admit(scale).completed("scaled");
        }
        // The call's evidence bundle holds its break-glass use, and verifies like any other.
        Path bundle = dir.resolve("scale.zip");
        EvidenceBundle.write(audit, scale.id(), dir.resolve("keys"), List.of(dir.resolve("policy.yaml")), bundle);
        EvidenceBundle.Report report = EvidenceBundle.verify(bundle, List.of());
        assertTrue(report.ok(), report.toString());
        assertTrue(report.checks().stream().anyMatch(c -> c.detail().contains("BREAK_GLASS_USED > WARRANT_ISSUED")), report.toString());
        assertTrue(report.checks().stream().anyMatch(c -> c.detail().contains("approved by break-glass:" + grant)), report.toString());
        EvidenceCommandTest.Run listed = cli("audit", "break-glass", audit.toString());
        assertEquals(1, listed.status(), listed.out());
        assertTrue(listed.out().startsWith("1 unreviewed break-glass grant (0 reviewed)\n" + grant + "  opened "), listed.out());
        assertTrue(listed.out().contains(" by erin [engineering_director]  actions [scale_web]  used 1 of 2  expires "), listed.out());
        assertTrue(listed.out().endsWith("  reason: INC-9: checkout down\n"), listed.out());

        try (Magistrate m = Magistrate.open(settings)) {
            m.governor().breakGlass().review(grant, "alice", new ApproverCredential.PersonalToken(aliceToken), "ok", "needed for INC-9");
        }
        EvidenceCommandTest.Run clean = cli("audit", "break-glass", audit.toString());
        assertEquals(0, clean.status(), clean.out());
        assertEquals("0 unreviewed break-glass grants (1 reviewed)\n", clean.out());
        assertEquals(2, cli("audit", "break-glass", dir.resolve("nowhere").toString()).status());
    }
}
