package dev.magistrate.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@code java -jar magistrate-server.jar}: {@code serve} (the default) and {@code enroll-agent ID}.
 * Each problem names the option at fault.
 */
record ServerOptions(String command, String agentToEnroll, Path policy, Path approvers, Path keys, String dbUrl, Path dataDir,
                     int port, InetAddress bind, String replica, int workers, Path logKey, List<String> origins) {

    static final String USAGE = """
            usage: java -jar magistrate-server.jar [serve] --policy FILE --approvers FILE --keys DIR
                                                   (--db jdbc:postgresql://HOST/DB | --data-dir DIR)
                                                   [--port 8443] [--bind 127.0.0.1] [--replica NAME] [--workers 32]
                                                   [--origin https://approvals.example.com]
                   java -jar magistrate-server.jar enroll-agent AGENT_ID (--db URL | --data-dir DIR) [--log-key FILE]
              --db: user and password in the URL, or in MAGISTRATE_DB_USER and MAGISTRATE_DB_PASSWORD
              --data-dir: an embedded PostgreSQL keeps its data there, across restarts
              --origin: where people open the console besides loopback (a TLS proxy in front); https makes its cookies Secure
              --log-key: the agent's audit-log public key, pinned for the checkpoint witness: its key directory's
                         log/KEYID.ed25519.pub, or the verifier key NAME+HEXID+BASE64 that 'magistrate keys generate' prints""";

    private static final Set<String> VALUED = Set.of("--policy", "--approvers", "--keys", "--db", "--data-dir", "--port", "--bind",
            "--replica", "--workers", "--log-key", "--origin");

    static ServerOptions parse(List<String> args) {
        String command = "serve";
        String agent = null;
        int i = 0;
        if (!args.isEmpty() && !args.get(0).startsWith("--")) {
            command = args.get(i++);
            if (!command.equals("serve") && !command.equals("enroll-agent")) {
                throw new IllegalArgumentException("unknown command '" + command + "' (serve, enroll-agent)");
            }
            if (command.equals("enroll-agent")) {
                if (i >= args.size() || args.get(i).startsWith("--")) throw new IllegalArgumentException("enroll-agent: the agent id is missing");
                agent = args.get(i++);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (; i < args.size(); i++) {
            String name = args.get(i);
            String value = null;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!VALUED.contains(name)) throw new IllegalArgumentException(name + ": unknown option");
            if (value == null) {
                if (i + 1 >= args.size()) throw new IllegalArgumentException(name + ": a value is missing");
                value = args.get(++i);
            }
            if (values.put(name, value) != null) throw new IllegalArgumentException(name + ": given twice");
        }
        boolean serve = command.equals("serve");
        if (serve) {
            for (String required : List.of("--policy", "--approvers", "--keys")) {
                if (!values.containsKey(required)) throw new IllegalArgumentException(required + ": required");
            }
        }
        if (serve && values.containsKey("--log-key")) throw new IllegalArgumentException("--log-key: only with enroll-agent");
        if (values.containsKey("--db") == values.containsKey("--data-dir")) {
            throw new IllegalArgumentException("--db / --data-dir: give exactly one (a PostgreSQL URL, or a directory for the embedded one)");
        }
        int port = integer(values, "--port", 8443, 0, 65535);
        int workers = integer(values, "--workers", 32, 2, 1024);
        InetAddress bind;
        try {
            bind = InetAddress.getByName(values.getOrDefault("--bind", "127.0.0.1"));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--bind: not an address: " + values.get("--bind"));
        }
        String replica = values.getOrDefault("--replica", defaultReplica(port));
        if (!replica.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("--replica: 1 to 64 of [A-Za-z0-9._-]");
        List<String> origins = List.of();
        String origin = values.get("--origin");
        if (origin != null) {
            if (!origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("--origin: scheme, host and optional port, such as https://approvals.example.com; got '" + origin + "'");
            }
            origins = List.of(origin);
        }
        return new ServerOptions(command, agent, path(values, "--policy"), path(values, "--approvers"), path(values, "--keys"),
                values.get("--db"), path(values, "--data-dir"), port, bind, replica, workers, path(values, "--log-key"), origins);
    }

    private static String defaultReplica(int port) {
        try {
            return (InetAddress.getLocalHost().getHostName() + "-" + port).replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            return "replica-" + port;
        }
    }

    private static Path path(Map<String, String> values, String name) {
        String v = values.get(name);
        if (v == null) return null;
        if (v.isBlank()) throw new IllegalArgumentException(name + ": empty path");
        return Path.of(v);
    }

    private static int integer(Map<String, String> values, String name, int dflt, int min, int max) {
        String v = values.get(name);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) throw new IllegalArgumentException(name + ": must be " + min + " to " + max + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not a whole number: " + v);
        }
    }
}
