package dev.magistrate.spring;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.engine.Magistrate;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code /actuator/health/magistrate}: the policy that is loaded (its version), whether the audit
 * trail can be written (down when not: every governed call would then be denied), and the approval
 * backend with the calls waiting on it.
 */
final class MagistrateHealthIndicator extends AbstractHealthIndicator {

    private final Magistrate magistrate;

    MagistrateHealthIndicator(Magistrate magistrate) {
        super("Magistrate health check failed");
        this.magistrate = magistrate;
    }

    @Override
    protected void doHealthCheck(Health.Builder health) {
        Path audit = magistrate.settings().auditDirectory();
        boolean writable = Files.isDirectory(audit) && Files.isWritable(audit);
        ApprovalBackend backend = magistrate.approvalBackend();
        health.status(writable ? "UP" : "DOWN")
                .withDetail("policy", String.valueOf(magistrate.settings().policy()))
                .withDetail("policyVersion", magistrate.governor().policy().version())
                .withDetail("audit", audit.toAbsolutePath() + (writable ? "" : " (not writable: every governed call is denied)"))
                .withDetail("approvals", backend.name() + (backend.endpoint() == null ? "" : " at " + backend.endpoint()))
                .withDetail("pendingApprovals", magistrate.governor().pendingApprovals());
    }
}
