package dev.magistrate.spring;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.audit.Durability;
import dev.magistrate.engine.MagistrateSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code magistrate.*} in application.yaml: the agent's settings under the same names (README,
 * "Configuration"), so one configuration reads the same under the agent and under Spring. Relative
 * paths are relative to the working directory.
 */
@ConfigurationProperties("magistrate")
public class MagistrateProperties {

    /** Whether the starter builds Magistrate and governs beans at all. */
    private boolean enabled = true;

    /** Policy file or directory of policy files. Required: the application does not start without a policy that loads. */
    private Path policy;

    /** Approval backend: console (HTTP on 127.0.0.1), programmatic, auto (approves everything; development only). None: calls that need approval are denied. */
    private String approvals;

    /** Approver directory (YAML: id, name, roles, TOTP secret, personal token hash). */
    private Path approvers;

    /**
     * OpenTelemetry spans and metrics of governed calls (docs/observability.md): through the application's OpenTelemetry
     * bean when there is one, else OpenTelemetry's global instance once it is set. Off: none. Micrometer meters are apart.
     */
    private boolean telemetry = true;

    private final Audit audit = new Audit();
    private final Keys keys = new Keys();
    private final Console console = new Console();
    private final Agent agent = new Agent();
    private final Govern govern = new Govern();
    private final Fallback fallback = new Fallback();
    private final Defer defer = new Defer();

    public static class Audit {
        /** Audit trail directory (Chronicle Queue, signed checkpoints, consumed warrants). */
        private Path dir = Path.of("magistrate-audit");

        /** What a crash can lose: mapped (survives a process kill), sync_at_checkpoint, sync_each_append (survives power loss). */
        private Durability durability = Durability.MAPPED;

        public Path getDir() { return dir; }

        public void setDir(Path dir) { this.dir = dir; }

        public Durability getDurability() { return durability; }

        public void setDurability(Durability durability) { this.durability = durability; }
    }

    public static class Keys {
        /** Warrant and checkpoint keys, generated on first start. */
        private Path dir = Path.of("magistrate-keys");

        public Path getDir() { return dir; }

        public void setDir(Path dir) { this.dir = dir; }
    }

    public static class Console {
        /** The approval console's port on 127.0.0.1 (approvals: console); 0 takes a free one. */
        private int port;

        /** Where the console writes its URL and read-only bearer token (owner-only). Default: console.json in the key directory. */
        private Path file;

        /** Chat file: Slack, Teams and webhook channels, routes, escalation (docs/approvals.md). */
        private Path chat;

        public Path getChat() { return chat; }

        public void setChat(Path chat) { this.chat = chat; }

        public int getPort() { return port; }

        public void setPort(int port) { this.port = port; }

        public Path getFile() { return file; }

        public void setFile(Path file) { this.file = file; }
    }

    public static class Agent {
        /** The agent's id in every intent. */
        private String id = "agent";

        public String getId() { return id; }

        public void setId(String id) { this.id = id; }
    }

    public static class Govern {
        /** More annotation types whose beans' methods are governed, besides @GovernedAction and Spring AI's @Tool. */
        private List<String> annotations = new ArrayList<>();

        public List<String> getAnnotations() { return annotations; }

        public void setAnnotations(List<String> annotations) { this.annotations = annotations; }
    }

    public static class Fallback {
        /** Actions whose denial is returned as the method's result instead of thrown (tools that return text to a model), or *. */
        private List<String> actions = new ArrayList<>();

        public List<String> getActions() { return actions; }

        public void setActions(List<String> actions) { this.actions = actions; }
    }

    public static class Defer {
        /**
         * Actions that approve later, or *: a call that needs people returns at once as pending (a text tool's result, or
         * CallApprovalPendingException) and runs when made again after approval.
         */
        private List<String> actions = new ArrayList<>();

        public List<String> getActions() { return actions; }

        public void setActions(List<String> actions) { this.actions = actions; }
    }

    /** The engine's settings; the console's settings apply only to {@code approvals: console}. */
    MagistrateSettings settings() {
        return settings(null);
    }

    /** With the application's telemetry, if it has some (an OpenTelemetry bean): unless telemetry is off, calls are reported there. */
    MagistrateSettings settings(AuditObserver applicationTelemetry) {
        Map<String, String> backend = new HashMap<>();
        if ("console".equals(approvals)) {
            Path file = console.file != null ? console.file : keys.dir.resolve("console.json");
            backend.put("port", String.valueOf(console.port));
            backend.put("file", file.toAbsolutePath().toString());
            if (console.chat != null) backend.put("chat", console.chat.toAbsolutePath().toString());
        } else if (console.port != 0 || console.file != null || console.chat != null) {
            throw new IllegalArgumentException("magistrate.console.* is set but magistrate.approvals is "
                    + (approvals == null ? "not set" : "'" + approvals + "'") + "; the console settings apply only to approvals: console");
        }
        MagistrateSettings.Builder b = MagistrateSettings.builder().policy(policy).auditDirectory(audit.dir).auditDurability(audit.durability)
                .keysDirectory(keys.dir).approvals(approvals, backend).approvers(approvers).agentId(agent.id).telemetry(telemetry);
        if (telemetry && applicationTelemetry != null) b.telemetry(applicationTelemetry);
        return b.build();
    }

    public boolean isTelemetry() { return telemetry; }

    public void setTelemetry(boolean telemetry) { this.telemetry = telemetry; }

    public boolean isEnabled() { return enabled; }

    public void setEnabled(boolean enabled) { this.enabled = enabled; }

    public Path getPolicy() { return policy; }

    public void setPolicy(Path policy) { this.policy = policy; }

    public String getApprovals() { return approvals; }

    public void setApprovals(String approvals) { this.approvals = approvals; }

    public Path getApprovers() { return approvers; }

    public void setApprovers(Path approvers) { this.approvers = approvers; }

    public Audit getAudit() { return audit; }

    public Keys getKeys() { return keys; }

    public Console getConsole() { return console; }

    public Agent getAgent() { return agent; }

    public Govern getGovern() { return govern; }

    public Fallback getFallback() { return fallback; }

    public Defer getDefer() { return defer; }
}
