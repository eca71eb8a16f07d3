package dev.magistrate.agent.internal;

import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.Durability;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.policy.internal.Suggest;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The agent's configuration, from (lowest precedence first) a YAML file, {@code MAGISTRATE_*}
 * environment variables, {@code -Dmagistrate.*} system properties and the agent argument. The file
 * is {@code config=FILE} from the agent argument, else {@code magistrate.yaml} in the working
 * directory if there is one. One naming scheme everywhere: {@code magistrate.audit.dir} is
 * {@code audit: {dir: ...}} in the file and {@code MAGISTRATE_AUDIT_DIR} in the environment.
 * Relative paths in the file are relative to the file; elsewhere, to the working directory.
 */
public final class AgentConfig {

    public static final String POLICY = "magistrate.policy";
    public static final String AUDIT_DIR = "magistrate.audit.dir";
    public static final String AUDIT_DURABILITY = "magistrate.audit.durability";
    public static final String KEYS_DIR = "magistrate.keys.dir";
    public static final String APPROVALS = "magistrate.approvals";
    public static final String APPROVERS = "magistrate.approvers";
    public static final String CONSOLE_PORT = "magistrate.console.port";
    public static final String CONSOLE_FILE = "magistrate.console.file";
    public static final String CONSOLE_CHAT = "magistrate.console.chat";
    public static final String AGENT_ID = "magistrate.agent.id";
    public static final String GOVERN_ANNOTATIONS = "magistrate.govern.annotations";
    public static final String GOVERN_METHODS = "magistrate.govern.methods";
    public static final String FALLBACK_ACTIONS = "magistrate.fallback.actions";
    /** Actions that approve later: a call that needs people returns at once as pending, and runs when made again after approval. */
    public static final String DEFER_ACTIONS = "magistrate.defer.actions";
    /** {@code on} (default) or {@code off}: whether work handed to executors inside a governed call names it as its parent. */
    public static final String ASYNC_CONTEXT = "magistrate.async.context";
    /** Tool annotations whose methods must be governed: one the configuration does not govern is refused every call. */
    public static final String REQUIRE = "magistrate.require";
    public static final String LOG_LEVEL = "magistrate.log.level";
    public static final String TELEMETRY = "magistrate.telemetry";
    /** A candidate policy deciding beside the live one (not {@code magistrate.policy.shadow}: in the file, policy is a path, not a mapping). */
    public static final String SHADOW_POLICY = "magistrate.shadow.policy";
    public static final String SIGNALS_JMX = "magistrate.signals.jmx";
    /** Reload the policy when its files change ({@code watch: {policy: true}} in the file: {@code policy} itself is a path). */
    public static final String WATCH_POLICY = "magistrate.watch.policy";
    /** The fleet service's base URLs, comma-separated, tried in order with failover (docs/fleet.md). */
    public static final String FLEET_URLS = FleetSettings.URLS;
    /** The file holding this agent's token from {@code enroll-agent} (never the token itself: not on a command line, not in a log). */
    public static final String FLEET_TOKEN_FILE = FleetSettings.TOKEN_FILE;
    /** The file pinning the service's warrant public keys (the JSON of {@code GET /v1/keys/warrant}), for approvals: remote. */
    public static final String FLEET_KEY = FleetSettings.KEY;
    /** How long a governed call waits for the engine to start (it starts beside the application), in seconds. */
    public static final String START_TIMEOUT = "magistrate.start.timeout";
    static final long DEFAULT_START_TIMEOUT_MILLIS = 120_000;
    /** Read by the agent's entry point, before this configuration (see NestedJarCache): only as -D or environment variable. */
    static final String AGENT_CACHE_DIR = "magistrate.agent.cache.dir";

    static final Set<String> KEYS = Set.of(POLICY, AUDIT_DIR, AUDIT_DURABILITY, KEYS_DIR, APPROVALS, APPROVERS, CONSOLE_PORT, CONSOLE_FILE, CONSOLE_CHAT, AGENT_ID, GOVERN_ANNOTATIONS,
            GOVERN_METHODS, FALLBACK_ACTIONS, DEFER_ACTIONS, REQUIRE, ASYNC_CONTEXT, LOG_LEVEL, TELEMETRY, SHADOW_POLICY, SIGNALS_JMX, WATCH_POLICY,
            START_TIMEOUT, FLEET_URLS, FLEET_TOKEN_FILE, FLEET_KEY);
    private static final Set<String> PATHS = Set.of(POLICY, AUDIT_DIR, KEYS_DIR, APPROVERS, CONSOLE_FILE, CONSOLE_CHAT, SHADOW_POLICY, FLEET_TOKEN_FILE,
            FLEET_KEY);

    private final Map<String, String> values;
    private final Map<String, String> sources;

    private AgentConfig(Map<String, String> values, Map<String, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    /** Thrown for a configuration that cannot be used; the message names the source and the key. */
    public static final class ConfigException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConfigException(String message) {
            super(message);
        }
    }

    public static AgentConfig load(String agentArgs, Map<String, String> env, Map<Object, Object> sysProps, Path workingDir) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Map<String, String> argValues = parseArgs(agentArgs);
        String configFile = argValues.remove("config");
        Path file = configFile != null ? workingDir.resolve(configFile) : workingDir.resolve("magistrate.yaml");
        if (configFile != null || Files.isRegularFile(file)) {
            readFile(file, values, sources);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().startsWith("MAGISTRATE_") || e.getKey().equals("MAGISTRATE_AGENT_CACHE_DIR")) continue;
            String key = e.getKey().toLowerCase(Locale.ROOT).replace('_', '.');
            put(values, sources, key, resolve(key, e.getValue(), workingDir), "environment variable " + e.getKey());
        }
        for (Map.Entry<Object, Object> e : sysProps.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!key.startsWith("magistrate.") || key.startsWith("magistrate.agent.jar") || key.equals(AGENT_CACHE_DIR) || key.startsWith("magistrate.testapp")
                    || key.startsWith("magistrate.policy.dumpSource")
                    || key.startsWith(Magistrate.SIGNAL_PROPERTY_PREFIX) // signals: the engine reads them itself
                    || key.equals(ChronicleAuditLog.LOW_SPACE_PROPERTY)) continue; // so does the audit log its low-space warning
            put(values, sources, key, resolve(key, String.valueOf(e.getValue()), workingDir), "system property -D" + key);
        }
        for (Map.Entry<String, String> e : argValues.entrySet()) {
            String key = e.getKey().startsWith("magistrate.") ? e.getKey() : "magistrate." + e.getKey();
            put(values, sources, key, resolve(key, e.getValue(), workingDir), "agent argument " + e.getKey());
        }
        return new AgentConfig(values, sources);
    }

    public String get(String key) {
        return values.get(key);
    }

    public String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    public List<String> list(String key) {
        String v = values.get(key);
        List<String> out = new ArrayList<>();
        if (v == null) return out;
        for (String part : v.split(",")) {
            if (!part.isBlank()) out.add(part.strip());
        }
        return out;
    }

    /**
     * The engine's typed settings from these values. Relative defaults are in the working directory;
     * the console's file defaults to {@code console.json} in the key directory.
     *
     * @throws ConfigException a value that cannot be used, naming the setting and where it came from
     */
    public MagistrateSettings settings() {
        Path keys = Path.of(get(KEYS_DIR, Path.of("magistrate-keys").toAbsolutePath().toString()));
        String backend = get(APPROVALS);
        Map<String, String> backendSettings = new HashMap<>();
        if ("console".equals(backend)) {
            backendSettings = new HashMap<>(Map.of("port", get(CONSOLE_PORT, "0"), "file", get(CONSOLE_FILE, keys.resolve("console.json").toString())));
            if (get(CONSOLE_CHAT) != null) backendSettings.put("chat", get(CONSOLE_CHAT));
        } else if (values.containsKey(CONSOLE_PORT) || values.containsKey(CONSOLE_FILE) || values.containsKey(CONSOLE_CHAT)) {
            String key = values.containsKey(CONSOLE_PORT) ? CONSOLE_PORT : values.containsKey(CONSOLE_FILE) ? CONSOLE_FILE : CONSOLE_CHAT;
            throw new ConfigException(source(key) + ": " + key + " is set but " + APPROVALS + " is " + (backend == null ? "not set" : "'" + backend + "'")
                    + "; the console settings apply only to approvals: console");
        }
        MagistrateSettings.Builder b = MagistrateSettings.builder()
                .auditDirectory(Path.of(get(AUDIT_DIR, Path.of("magistrate-audit").toAbsolutePath().toString())))
                .auditDurability(durability())
                .keysDirectory(keys)
                .approvals(backend, backendSettings)
                .agentId(get(AGENT_ID, "agent"))
                // Telemetry: spans and metrics through the application's OpenTelemetry API, when it has one.
                .telemetry(onOff(TELEMETRY, true))
                // Off unless set: whoever can write the policy files would otherwise change what is allowed without signing in.
                .watchPolicy(onOff(WATCH_POLICY, false));
        if (get(POLICY) != null) b.policy(Path.of(get(POLICY)));
        if (get(APPROVERS) != null) b.approvers(Path.of(get(APPROVERS)));
        if (get(SHADOW_POLICY) != null) b.shadowPolicy(Path.of(get(SHADOW_POLICY)));
        if (get(SIGNALS_JMX) != null) b.signalsJmx(onOff(SIGNALS_JMX, false));
        b.fleet(fleet(backend));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException((backend == null ? "" : source(APPROVALS) + ": ") + e.getMessage());
        }
    }

    /**
     * The fleet service's settings: required with {@code magistrate.approvals=remote} (all three); without it, the URLs and
     * the token make the service this log's checkpoint witness. Null when none is set.
     */
    private FleetSettings fleet(String backend) {
        boolean remote = MagistrateSettings.REMOTE.equals(backend);
        boolean any = values.containsKey(FLEET_URLS) || values.containsKey(FLEET_TOKEN_FILE) || values.containsKey(FLEET_KEY);
        if (!any && !remote) return null;
        for (String key : remote ? List.of(FLEET_URLS, FLEET_TOKEN_FILE, FLEET_KEY) : List.of(FLEET_URLS, FLEET_TOKEN_FILE)) {
            if (get(key) != null) continue;
            if (remote) throw new ConfigException(source(APPROVALS) + ": approvals: remote needs " + key + " (" + fleetHelp(key) + ")");
            String given = values.containsKey(FLEET_URLS) ? FLEET_URLS : values.containsKey(FLEET_TOKEN_FILE) ? FLEET_TOKEN_FILE : FLEET_KEY;
            throw new ConfigException(source(given) + ": " + given + " is set, so the fleet service needs " + key + " (" + fleetHelp(key) + ")");
        }
        try {
            return new FleetSettings(FleetSettings.parseUrls(get(FLEET_URLS)), Path.of(get(FLEET_TOKEN_FILE)),
                    get(FLEET_KEY) == null ? null : Path.of(get(FLEET_KEY)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source(FLEET_URLS) + ": " + e.getMessage());
        }
    }

    private static String fleetHelp(String key) {
        return switch (key) {
            case FLEET_URLS -> "the service's base URLs, comma-separated";
            case FLEET_TOKEN_FILE -> "a file holding the token enroll-agent printed";
            default -> "a file with the JSON of GET /v1/keys/warrant, the service's warrant keys";
        };
    }

    /** {@link #START_TIMEOUT} in milliseconds: a whole number of seconds, at least 1. */
    long startTimeoutMillis() {
        String value = get(START_TIMEOUT);
        if (value == null) return DEFAULT_START_TIMEOUT_MILLIS;
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds >= 1 && seconds <= 86_400) return seconds * 1000;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(source(START_TIMEOUT) + ": " + START_TIMEOUT + ": '" + value + "' is not a number of seconds from 1 to 86400");
    }

    /**
     * A switch: {@code on}/{@code true} or {@code off}/{@code false} (YAML reads a bare {@code off} as false, so both
     * spellings mean the same), {@code whenUnset} when not set.
     *
     * @throws ConfigException any other value, naming the setting and its source: a mistyped switch is neither on nor off
     */
    public boolean onOff(String key, boolean whenUnset) {
        String value = get(key);
        if (value == null) return whenUnset;
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new ConfigException(source(key) + ": " + key + ": '" + value + "' is not on or off (true or false)");
        };
    }

    private Durability durability() {
        String value = get(AUDIT_DURABILITY);
        if (value == null) return Durability.MAPPED;
        try {
            return Durability.valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source(AUDIT_DURABILITY) + ": " + AUDIT_DURABILITY + ": '" + value
                    + "' is not one of mapped (survives a process kill), sync_at_checkpoint, sync_each_append (survives power loss)");
        }
    }

    /** Where a key's value came from, for messages. */
    public String source(String key) {
        return sources.getOrDefault(key, "default");
    }

    private static void put(Map<String, String> values, Map<String, String> sources, String key, String value, String source) {
        if (key.equals(AGENT_CACHE_DIR)) {
            throw new ConfigException(source + ": " + key + " is read before the configuration file and the agent argument: set it with -D"
                    + key + " or MAGISTRATE_AGENT_CACHE_DIR");
        }
        if (!KEYS.contains(key)) {
            String hint = Suggest.closest(key, KEYS);
            throw new ConfigException(source + ": unknown setting '" + key + "'"
                    + (hint != null ? " (did you mean '" + hint + "'?)" : " (known: " + String.join(", ", new TreeSet<>(KEYS)) + ")"));
        }
        values.put(key, value);
        sources.put(key, source);
    }

    private static String resolve(String key, String value, Path base) {
        return PATHS.contains(key) && !value.isBlank() ? base.resolve(value.strip()).normalize().toString() : value.strip();
    }

    static Map<String, String> parseArgs(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        if (args == null || args.isBlank()) return out;
        for (String part : args.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new ConfigException("agent argument '" + part + "': expected KEY=VALUE, like config=magistrate.yaml");
            out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        return out;
    }

    /**
     * Read with SnakeYAML's parser and composer alone, not Jackson: this runs in {@code premain}, before the application's {@code main},
     * and Jackson's object mapper cost about 270 ms and 420 classes there; the engine loads Jackson later on its own thread.
     * Values are read as Jackson's {@code asText} gave them: scalars as written, a null as "null", a list as its items
     * joined with commas.
     */
    private static void readFile(Path file, Map<String, String> values, Map<String, String> sources) {
        Node root;
        try (Reader in = Files.newBufferedReader(file)) {
            LoaderOptions options = new LoaderOptions();
            root = new Composer(new ParserImpl(new StreamReader(in), options), new Resolver(), options).getSingleNode();
        } catch (MarkedYAMLException e) {
            Mark at = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw new ConfigException(file + (at == null ? "" : ":" + (at.getLine() + 1) + ":" + (at.getColumn() + 1)) + ": cannot read configuration: "
                    + (e.getProblem() != null ? e.getProblem() : e.getMessage().lines().findFirst().orElse("")));
        } catch (IOException | YAMLException e) {
            throw new ConfigException(file + ": cannot read configuration: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        if (root == null || root.getTag().equals(Tag.NULL)) return;
        if (!(root instanceof MappingNode mapping)) throw new ConfigException(file + ": a configuration file is a mapping of settings");
        Path base = file.toAbsolutePath().getParent();
        flatten("magistrate", mapping, base, file, values, sources);
    }

    private static void flatten(String prefix, MappingNode node, Path base, Path file, Map<String, String> values, Map<String, String> sources) {
        for (NodeTuple f : node.getValue()) {
            String key = prefix + "." + text(f.getKeyNode());
            Node v = f.getValueNode();
            if (v instanceof MappingNode m) {
                flatten(key, m, base, file, values, sources);
            } else if (v instanceof SequenceNode list) {
                List<String> items = new ArrayList<>();
                list.getValue().forEach(item -> items.add(text(item)));
                put(values, sources, key, String.join(",", items), file.toString());
            } else {
                put(values, sources, key, resolve(key, text(v), base), file.toString());
            }
        }
    }

    /** A scalar's text ("null" for a null, as Jackson's asText gave it); a mapping or a list inside a list has none. */
    private static String text(Node node) {
        if (!(node instanceof ScalarNode scalar)) return "";
        return scalar.getTag().equals(Tag.NULL) ? "null" : scalar.getValue();
    }
}
