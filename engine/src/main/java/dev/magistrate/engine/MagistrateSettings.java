package dev.magistrate.engine;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.audit.Durability;
import dev.magistrate.fleet.FleetSettings;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@link Magistrate#open} needs, typed. The agent builds it from its configuration sources
 * (file, environment, system properties, agent arguments); a library user builds it in code.
 *
 * @param policy            a policy file or a directory of them
 * @param auditDirectory    where the audit trail (and the consumed-warrant ledger beside it) lives
 * @param auditDurability   what a crash can lose (see docs/audit-trail.md); the ledger follows it
 * @param keysDirectory     the key directory: warrant and log key sets (created on first open)
 * @param approvals         the approval backend's name ({@code programmatic}, {@code console}, {@code auto}, ...),
 *                          or null for none: every call that needs a person is then denied at once
 * @param approvalSettings  the backend's own settings
 * @param approvers         the approver directory file, or null for none
 * @param agentId           the agent named in intents made by {@link Magistrate#intent}
 * @param clock             decisions, warrants and the audit trail read the time from it
 * @param telemetry         what reports governed calls as spans and metrics: null for the default (OpenTelemetry's global
 *                          instance when the application has the OpenTelemetry API, else nothing), {@link AuditObserver#NONE}
 *                          for off, or {@code OpenTelemetryObserver.of(openTelemetry)} for an instance of one's own
 * @param shadowPolicy      a candidate policy file or directory that decides beside the live one and is audited where it
 *                          differs, never affecting a call; null for none (shadow rules in the live files need no setting)
 * @param signalsJmx        whether {@link Magistrate#open} registers the {@code dev.magistrate:type=Signals} MBean
 * @param watchPolicy       reload the policy by itself when its files change (off by default: whoever can write the files
 *                          then changes what is allowed without signing in; see docs/policy-language.md, "Reloading a policy")
 * @param fleet             the fleet service this engine belongs to, or null for none: each signed checkpoint of the audit
 *                          log is shipped to it, its witness (docs/fleet.md, "The checkpoint witness"); with {@code approvals}
 *                          {@code remote} (which requires it) it also decides every call the local policy does not settle.
 *                          Without one, a policy that reads a fleet window ({@code count_fleet}, {@code sum_fleet}) is refused
 */
public record MagistrateSettings(Path policy, Path auditDirectory, Durability auditDurability, Path keysDirectory, String approvals,
                                 Map<String, String> approvalSettings, Path approvers, String agentId, Clock clock,
                                 AuditObserver telemetry, Path shadowPolicy, boolean signalsJmx, boolean watchPolicy,
                                 FleetSettings fleet) {

    /** The approval backend that sends calls to the fleet service ({@link #fleet}). */
    public static final String REMOTE = "remote";

    public MagistrateSettings {
        Objects.requireNonNull(auditDirectory, "auditDirectory");
        Objects.requireNonNull(auditDurability, "auditDurability");
        Objects.requireNonNull(keysDirectory, "keysDirectory");
        approvalSettings = Map.copyOf(Objects.requireNonNull(approvalSettings, "approvalSettings"));
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(clock, "clock");
        if (approvals == null && !approvalSettings.isEmpty()) {
            throw new IllegalArgumentException("approvalSettings " + approvalSettings.keySet() + " given without an approval backend");
        }
        if (REMOTE.equals(approvals) && fleet == null) {
            throw new IllegalArgumentException("magistrate.approvals=remote needs the fleet service: set " + FleetSettings.URLS + ", "
                    + FleetSettings.TOKEN_FILE + " and " + FleetSettings.KEY);
        }
        if (REMOTE.equals(approvals) && !approvalSettings.isEmpty()) {
            throw new IllegalArgumentException("the remote backend takes its settings as magistrate.fleet.*, not " + approvalSettings.keySet());
        }
        if (REMOTE.equals(approvals) && fleet != null && fleet.serviceKeyFile() == null) {
            throw new IllegalArgumentException("magistrate.approvals=remote needs " + FleetSettings.KEY
                    + ": the service's warrant keys, pinned (a file with the JSON of GET /v1/keys/warrant)");
        }
    }

    /** Defaults: {@code magistrate-audit} and {@code magistrate-keys} in the working directory, mapped durability, no backend. */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Path policy;
        private Path auditDirectory = Path.of("magistrate-audit");
        private Durability auditDurability = Durability.MAPPED;
        private Path keysDirectory = Path.of("magistrate-keys");
        private String approvals;
        private Map<String, String> approvalSettings = Map.of();
        private Path approvers;
        private String agentId = "agent";
        private Clock clock = Clock.systemUTC();
        private AuditObserver telemetry;
        private Path shadowPolicy;
        private boolean signalsJmx = true;
        private boolean watchPolicy;
        private FleetSettings fleet;

        private Builder() {
        }

        public Builder policy(Path policy) { this.policy = policy; return this; }

        public Builder auditDirectory(Path dir) { this.auditDirectory = dir; return this; }

        public Builder auditDurability(Durability durability) { this.auditDurability = durability; return this; }

        public Builder keysDirectory(Path dir) { this.keysDirectory = dir; return this; }

        public Builder approvals(String backend) { return approvals(backend, Map.of()); }

        public Builder approvals(String backend, Map<String, String> settings) {
            this.approvals = backend;
            this.approvalSettings = settings;
            return this;
        }

        public Builder approvers(Path file) { this.approvers = file; return this; }

        public Builder agentId(String agentId) { this.agentId = agentId; return this; }

        public Builder clock(Clock clock) { this.clock = clock; return this; }

        /** On (the default: OpenTelemetry's global instance, when the application has the API) or off. */
        public Builder telemetry(boolean on) { this.telemetry = on ? null : AuditObserver.NONE; return this; }

        /** Reports governed calls to this observer, such as {@code OpenTelemetryObserver.of(openTelemetry)}. */
        public Builder telemetry(AuditObserver observer) { this.telemetry = Objects.requireNonNull(observer, "observer"); return this; }

        public Builder shadowPolicy(Path fileOrDirectory) { this.shadowPolicy = fileOrDirectory; return this; }

        public Builder signalsJmx(boolean register) { this.signalsJmx = register; return this; }

        public Builder watchPolicy(boolean watch) { this.watchPolicy = watch; return this; }

        /** The fleet service this engine belongs to (null: none); required by {@code approvals("remote")}. */
        public Builder fleet(FleetSettings fleet) { this.fleet = fleet; return this; }

        public MagistrateSettings build() {
            return new MagistrateSettings(policy, auditDirectory, auditDurability, keysDirectory, approvals, approvalSettings, approvers,
                    agentId, clock, telemetry, shadowPolicy, signalsJmx, watchPolicy, fleet);
        }
    }
}
