package dev.magistrate.console;

import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.PasswordHash;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Governor;
import dev.magistrate.governor.MutableClock;
import dev.magistrate.intent.Intent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole stack as an agent runs it: {@link Magistrate#open} with the console backend, an approver
 * directory whose approvers each have a personal token (minted here; the file holds only hashes), and
 * the audit log on disk. The clock is the governor's, movable (TOTP steps, lockouts).
 */
final class ConsoleFixture implements AutoCloseable {

    static final String ALICE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    static final String DAVE_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
    static final String ERIN_SECRET = "ONSWG4TFORZWK4TFORZWK4TFORZWK4TF";

    static final String POLICY = """
            policies:
              - {name: scaling, condition: "action == 'scale_service'", risk_tier: T2, required_roles: [senior_dev, devops]}
              - {name: budget, condition: "action == 'raise_budget'", risk_tier: T3, required_approvals: [cfo, engineering_director]}
              - {name: quick, condition: "action == 'restart_service'", risk_tier: T2, required_roles: [devops], timeout: "3s"}
            """;

    final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    final Map<String, String> tokens = new LinkedHashMap<>();
    /** Console passwords (the directory holds their Argon2id hashes); carol has none. */
    final Map<String, String> passwords = new LinkedHashMap<>();
    final Path consoleFile;
    final Path auditDir;
    final Path policyFile;
    final Magistrate magistrate;
    final Governor governor;

    ConsoleFixture(Path dir) throws IOException {
        this(dir, POLICY);
    }

    ConsoleFixture(Path dir, String policy) throws IOException {
        for (String id : List.of("alice", "bob", "carol", "dave", "erin", "ops-agent", "riya")) tokens.put(id, ApproverToken.mint());
        for (String id : List.of("alice", "bob", "dave", "erin", "ops-agent", "riya")) passwords.put(id, id + " likes long passphrases");
        String approvers = """
                approvers:
                  - {id: alice, name: Alice Martin, roles: [senior_dev], totp_secret: %s, token_sha256: %s, password_hash: "%s"}
                  - {id: bob, name: Bob Okafor, roles: [devops], token_sha256: %s, password_hash: "%s"}
                  - {id: carol, name: Carol Diaz, roles: [senior_dev], token_sha256: %s}
                  - {id: dave, name: Dave Chen, roles: [cfo, finance], totp_secret: %s, token_sha256: %s, password_hash: "%s"}
                  - {id: erin, name: Erin Novak, roles: [engineering_director], totp_secret: %s, token_sha256: %s, password_hash: "%s"}
                  - {id: ops-agent, name: the agent itself, roles: [devops, senior_dev], token_sha256: %s, password_hash: "%s"}
                  - {id: riya, name: Riya Shah, roles: [policy_admin], token_sha256: %s, password_hash: "%s"}
                """.formatted(ALICE_SECRET, hash("alice"), pw("alice"), hash("bob"), pw("bob"), hash("carol"), DAVE_SECRET, hash("dave"), pw("dave"),
                ERIN_SECRET, hash("erin"), pw("erin"), hash("ops-agent"), pw("ops-agent"), hash("riya"), pw("riya"));
        Files.writeString(dir.resolve("approvers.yaml"), approvers);
        policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, policy);
        consoleFile = dir.resolve("run/console.json");
        auditDir = dir.resolve("audit");
        magistrate = Magistrate.open(MagistrateSettings.builder().policy(dir.resolve("policy.yaml"))
                .approvals("console", Map.of("file", consoleFile.toString(), "port", "0"))
                .approvers(dir.resolve("approvers.yaml")).auditDirectory(auditDir).keysDirectory(dir.resolve("keys"))
                .agentId("ops-agent").clock(clock).build());
        governor = magistrate.governor();
    }

    private String pw(String id) {
        return PasswordHash.create(passwords.get(id).toCharArray());
    }

    private String hash(String id) {
        return ApproverToken.sha256Hex(tokens.get(id));
    }

    Intent.Builder intent(String action) {
        return magistrate.intent(action);
    }

    String totp(String base32Secret) {
        return Totp.codeAt(Totp.decodeBase32(base32Secret), clock.instant());
    }

    /** Every entry in the audit log on disk, read as another process would. */
    List<AuditEvent> audit() {
        List<AuditEvent> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(auditDir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) out.add(d.event());
        }
        return out;
    }

    @Override
    public void close() {
        magistrate.close();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
