package dev.magistrate.governor;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ProgrammaticApprovalBackend;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditSink;
import dev.magistrate.audit.InMemoryAuditSink;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.CompiledPolicy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

/** A governor on real files in a temporary directory, with the programmatic backend and an in-memory audit trail. */
public final class GovernorHarness implements AutoCloseable {

    public static final String ALICE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    public static final String BOB_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    public static final String DAVE_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
    public static final String ERIN_SECRET = "ONSWG4TFORZWK4TFORZWK4TFORZWK4TF";

    public static final String APPROVERS_YAML = """
            approvers:
              - id: alice
                name: Alice Martin
                roles: [senior_dev]
                totp_secret: %s
              - id: bob
                name: Bob Okafor
                roles: [devops]
                totp_secret: %s
              - id: carol
                name: Carol Diaz
                roles: [senior_dev]
              - id: dave
                name: Dave Chen
                roles: [cfo, finance]
                totp_secret: %s
              - id: erin
                name: Erin Novak
                roles: [engineering_director, support_lead]
                totp_secret: %s
              - id: ops-agent
                name: The operations agent also holds a role, to prove it still cannot approve itself
                roles: [devops, senior_dev]
            """.formatted(ALICE_SECRET, BOB_SECRET, DAVE_SECRET, ERIN_SECRET);

    public final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    public final InMemoryAuditSink audit = new InMemoryAuditSink();
    public final ProgrammaticApprovalBackend backend = new ProgrammaticApprovalBackend();
    public final ApproverDirectory approvers;
    public final Governor governor;
    public final Path dir;

    public GovernorHarness(Path dir, CompiledPolicy policy) {
        this(dir, policy, null, null);
    }

    public GovernorHarness(Path dir, CompiledPolicy policy, ApprovalBackend otherBackend, AuditSink otherAudit) {
        this(dir, policy, otherBackend, otherAudit, b -> { });
    }

    /** {@code tune} sets what the other constructors leave at its default (intervals, lifetimes). */
    public GovernorHarness(Path dir, CompiledPolicy policy, ApprovalBackend otherBackend, AuditSink otherAudit, Consumer<Governor.Builder> tune) {
        this.dir = dir;
        try {
            Path file = dir.resolve("approvers.yaml");
            Files.writeString(file, APPROVERS_YAML);
            this.approvers = ApproverDirectory.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Governor.Builder b = Governor.builder()
                .policy(policy)
                .approvalBackend(otherBackend != null ? otherBackend : backend)
                .approvers(approvers)
                .stateDirectory(dir.resolve("state"))
                .audit(otherAudit != null ? otherAudit : audit)
                .clock(clock);
        tune.accept(b);
        this.governor = b.build();
    }

    public static Intent.Builder intent(String action) {
        return Intent.builder(action).agent("ops-agent");
    }

    /** The current TOTP code of an approver's secret, by the harness clock. */
    public String totp(String base32Secret) {
        return Totp.codeAt(Totp.decodeBase32(base32Secret), clock.instant());
    }

    /** The next step's code: what an approver types after the clock moved on. */
    public void nextTotpStep() {
        clock.advance(Duration.ofSeconds(Totp.STEP_SECONDS));
    }

    public long count(String intentId, AuditEventType type) {
        return audit.events(intentId).stream().filter(e -> e.type() == type).count();
    }

    public AuditEvent only(String intentId, AuditEventType type) {
        return audit.events(intentId).stream().filter(e -> e.type() == type).reduce((a, b) -> {
            throw new AssertionError("more than one " + type + " for " + intentId);
        }).orElseThrow(() -> new AssertionError("no " + type + " for " + intentId + " in " + audit.types(intentId)));
    }

    @Override
    public void close() {
        governor.close();
    }
}
