package dev.magistrate.cli;

import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.magistrate.cli.EvidenceCommandTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code audit report --shadow DIR} on audit trails written by a real engine with shadow rules. */
class AuditShadowReportTest {

    @TempDir
    Path dir;

    static final String POLICY = """
            default: T0
            policies:
              - name: deploys
                condition: "action == 'deploy'"
                risk_tier: T0
              - name: freeze prod
                condition: "action == 'deploy' and args.env == 'prod'"
                effect: deny
                reason: prod is frozen
                shadow: true
              - name: scrutinise scaling
                condition: "action == 'scale'"
                raise_tier: 1
                shadow: true
            """;

    Path run(String policy, String... actionsAndEnvs) throws Exception {
        Path audit = dir.resolve("audit-" + Math.abs(policy.hashCode()));
        Path file = dir.resolve("p" + Math.abs(policy.hashCode()) + ".yaml");
        Files.writeString(file, policy);
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(file).auditDirectory(audit).keysDirectory(dir.resolve("keys"))
                .signalsJmx(false).build())) {
            for (int i = 0; i < actionsAndEnvs.length; i += 2) {
                m.admit(m.intent(actionsAndEnvs[i]).arg("env", actionsAndEnvs[i + 1]).build()).completed("done");
            }
        }
        return audit;
    }

    @Test
    void listsEveryCallWhereLiveAndShadowDifferWithCountsByRuleAndExits1() throws Exception {
        Path audit = run(POLICY, "deploy", "dev", "deploy", "prod", "scale", "prod", "deploy", "prod", "read", "prod");
        EvidenceCommandTest.Run r = cli("audit", "report", "--shadow", audit.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().startsWith("3 calls where live and shadow differ\n"), r.out());
        assertTrue(r.out().contains("deploy  live allow T0 [deploys]  shadow deny T3 [deploys, freeze prod]"), r.out());
        assertTrue(r.out().contains("scale  live allow T0 []  shadow approve T1 [scrutinise scaling]"), r.out());
        assertTrue(r.out().endsWith("differences by rule:\n  freeze prod: 2\n  scrutinise scaling: 1\n"), r.out());
    }

    @Test
    void exits0WhenTheyAgreedOnEveryCallAnd2ForNoAuditDirectory() throws Exception {
        Path audit = run(POLICY, "deploy", "dev", "read", "prod");
        EvidenceCommandTest.Run r = cli("audit", "report", "--shadow", audit.toString());
        assertEquals(0, r.status(), r.out());
        assertEquals("0 calls where live and shadow differ\ndifferences by rule:\n  (none)\n", r.out());
        assertEquals(2, cli("audit", "report", "--shadow", dir.resolve("nowhere").toString()).status());
    }
}
