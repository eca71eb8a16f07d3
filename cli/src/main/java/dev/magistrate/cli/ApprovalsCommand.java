package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.UNAVAILABLE;
import static dev.magistrate.cli.MagistrateCli.USAGE;

/**
 * {@code approvals list|show|approve|deny|edit|ask}: a person's way to the approval console from a terminal.
 * Reads with the console token; every vote carries the approver's own personal token, read from a file or
 * the environment, never from the command line (other processes can read a command line).
 */
@Command(name = "approvals", mixinStandardHelpOptions = true,
        description = {"See what waits for approval and vote on it, through the approval console of a running agent.",
                "Reading uses the console token (--console FILE, or --url with --token-file); voting uses your personal token "
                        + "(magistrate approvers token mints it) from --personal-token-file FILE or $" + ApprovalsCommand.TOKEN_ENV + "."},
        footer = {"", ApprovalsCommand.EXIT_STATUS},
        subcommands = {ApprovalsCommand.ListRequests.class, ApprovalsCommand.Show.class, ApprovalsCommand.Approve.class,
                ApprovalsCommand.Deny.class, ApprovalsCommand.Edit.class, ApprovalsCommand.Ask.class})
final class ApprovalsCommand implements Callable<Integer> {

    static final String CONSOLE_FILE_ENV = "MAGISTRATE_CONSOLE_FILE";
    static final String TOKEN_ENV = "MAGISTRATE_APPROVER_TOKEN";
    static final String EXIT_STATUS = "Exit status:%n"
            + "  0  done: the vote counted, the listing printed%n"
            + "  1  the console refused: the vote not counted (not yours, already voted, wrong TOTP code, late), TOTP locked, "
            + "the intent no longer there (HTTP 403, 404, 409, 429, or accepted=false)%n"
            + "  2  usage error or bad input: a missing file, a bad argument, a request the console calls malformed (HTTP 400, 401, 413)%n"
            + "  3  the console unreachable, or an answer it should not give (HTTP 5xx, not JSON)";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The process environment; tests replace it. */
    static Function<String, String> environment = System::getenv;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    /** Where the console is, how to read it, and how to print its answers. */
    static final class Connection {
        @Option(names = "--console", paramLabel = "FILE",
                description = "the console connection file the agent writes (JSON: url, token); default $" + CONSOLE_FILE_ENV)
        Path consoleFile;

        @Option(names = "--url", paramLabel = "URL", description = "the console's URL, instead of --console")
        String url;

        @Option(names = "--token-file", paramLabel = "FILE", description = "with --url: a file holding the console token (it only reads)")
        Path tokenFile;

        @Option(names = "--insecure-http", description = "allow a personal token over plain http to a host other than this machine")
        boolean insecureHttp;

        @Option(names = "--json", description = "print the console's JSON answer (for scripts)")
        boolean json;

        /** The console and its read token (null when none was given: votes do not use it). */
        record Target(ConsoleClient client, String readToken) {
            String requireReadToken() {
                if (readToken == null) throw new CliException("reading needs the console token: --token-file FILE with --url, or --console FILE");
                return readToken;
            }
        }

        Target target() {
            if (url != null && consoleFile != null) throw new CliException("give --console FILE or --url URL, not both");
            if (url != null) {
                String token = tokenFile == null ? null : ConsoleClient.checkToken(readFile(tokenFile, "--token-file"), "--token-file " + tokenFile);
                return new Target(new ConsoleClient(ConsoleClient.parseUrl(url, "--url")), token);
            }
            if (tokenFile != null) throw new CliException("--token-file goes with --url (a --console file holds its own token)");
            Path file = consoleFile;
            String source = "--console";
            if (file == null) {
                String env = environment.apply(CONSOLE_FILE_ENV);
                if (env == null || env.isBlank()) {
                    throw new CliException("no console given: --console FILE (the connection file the agent writes; or set "
                            + CONSOLE_FILE_ENV + "), or --url URL with --token-file FILE");
                }
                file = Path.of(env);
                source = CONSOLE_FILE_ENV;
            }
            if (!Files.isRegularFile(file)) {
                throw new CliException(source + ": no such file " + file + " (the agent writes it while its console is up: is the agent running?)");
            }
            JsonNode conn;
            try {
                conn = JSON.readTree(readFile(file, source));
            } catch (IOException e) {
                // Not the parser's message: it may quote the file, token included.
                conn = null;
            }
            if (conn == null || !conn.path("url").isTextual() || !conn.path("token").isTextual()) {
                throw new CliException(source + ": " + file + " is not a console connection file (JSON with url and token)");
            }
            return new Target(new ConsoleClient(ConsoleClient.parseUrl(conn.get("url").asText(), source + " " + file)),
                    ConsoleClient.checkToken(conn.get("token").asText(), "the token in " + file));
        }
    }

    static String readFile(Path file, String option) {
        if (!Files.isRegularFile(file)) throw new CliException(option + ": no such file " + file);
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(option + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Prints the JSON in --json mode; an answer other than 200 ends the command with the console's words and an exit status. */
    static JsonNode accept(ConsoleClient.Answer a, Connection c, PrintStream out, String what) {
        if (c.json && a.json() != null) out.println(a.json().toPrettyString());
        if (a.ok() && a.json() != null) return a.json();
        int status = switch (a.status()) {
            case 403, 404, 409, 429 -> NO;
            case 400, 401, 413 -> USAGE;
            default -> UNAVAILABLE;
        };
        String text = a.ok() ? "not JSON: " + a.errorText() : a.errorText();
        throw new CliException(status, what + ": the console answered " + a.status() + ": " + printable(abbreviate(text, 500)));
    }

    static String intentPath(String intent) {
        // Intent ids are UUIDs; anything else would be spliced into a URL path.
        if (!intent.matches("[A-Za-z0-9._-]{1,128}")) throw new CliException("INTENT: not an intent id: '" + printable(abbreviate(intent, 80)) + "'");
        return "/api/requests/" + intent;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = "The requests waiting now: intent, action, tier, agent, votes counted of those required, time left, arguments.")
    static final class ListRequests implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            Connection.Target t = connection.target();
            PrintStream out = MagistrateCli.out(spec);
            JsonNode list = accept(t.client().get("/api/requests", t.requireReadToken()), connection, out, "cannot list");
            if (!connection.json) printTable(list, out, Instant.now());
            return OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = "One request, waiting or recently ended, with everything the console knows about it.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "INTENT", description = "the intent id (see list)")
        String intent;

        @Override
        public Integer call() {
            String path = intentPath(intent);
            Connection.Target t = connection.target();
            PrintStream out = MagistrateCli.out(spec);
            JsonNode r = accept(t.client().get(path, t.requireReadToken()), connection, out, "cannot show " + intent);
            if (!connection.json) printRequest(r, out, Instant.now());
            return OK;
        }
    }

    /** A TOTP code, where the policy asks for MFA (T3 or requires_mfa). */
    static final class TotpCode {
        @Option(names = "--totp", paramLabel = "CODE", description = "the 6-digit code from your authenticator app, where the request needs MFA")
        String code;

        @Option(names = "--totp-stdin", description = "read the TOTP code from the first line of standard input")
        boolean stdin;

        String code() {
            if (code != null && stdin) throw new CliException("give --totp CODE or --totp-stdin, not both");
            String c = code;
            if (stdin) {
                try {
                    c = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                } catch (IOException e) {
                    throw new CliException("--totp-stdin: cannot read standard input (" + e.getClass().getSimpleName() + ")");
                }
                if (c == null) throw new CliException("--totp-stdin: standard input is empty");
            }
            if (c == null) return null;
            c = c.strip();
            // The message never repeats what was typed: it may be a valid code with one character too many.
            if (!c.matches("[0-9]{6}")) throw new CliException((stdin ? "--totp-stdin" : "--totp") + ": expected the 6-digit code from your authenticator app");
            return c;
        }
    }

    /** One vote on one intent, cast with the approver's personal token. */
    abstract static class VoteCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "INTENT", description = "the intent id (see list)")
        String intent;

        @Option(names = "--personal-token-file", paramLabel = "FILE",
                description = "a file holding your personal token (default: $" + TOKEN_ENV + "); never pass the token itself as an argument")
        Path personalTokenFile;

        @Option(names = "--as", paramLabel = "ID", description = "your approver id; without it the console derives it from your token")
        String approver;

        /** Accepted only to refuse: a token in a command line is visible to every process on the machine. */
        @Option(names = {"--personal-token", "--token"}, hidden = true, paramLabel = "TOKEN")
        String tokenInArguments;

        abstract String verdict();

        /** Adds this verdict's fields (comment, totp, edits) to the vote. */
        abstract void fill(ObjectNode vote);

        @Override
        public Integer call() {
            refuseTokenInArguments(tokenInArguments);
            String path = intentPath(intent) + "/votes";
            ObjectNode vote = JSON.createObjectNode().put("verdict", verdict());
            fill(vote);
            if (approver != null) vote.put("approver", approver);
            String token = personalToken(personalTokenFile);
            Connection.Target t = connection.target();
            ConsoleClient console = t.client();
            checkTransport(console, connection, MagistrateCli.err(spec));
            PrintStream out = MagistrateCli.out(spec);
            JsonNode answer = accept(console.post(path, token, vote), connection, out, verdict() + " on " + intent + " not counted");
            String state = answer.path("state").asText("?");
            if (!answer.path("accepted").isBoolean()) throw new CliException(UNAVAILABLE, "unexpected answer from the console: " + printable(abbreviate(answer.toString(), 500)));
            if (!answer.get("accepted").asBoolean()) {
                throw new CliException(NO, verdict() + " on " + intent + " not counted: " + printable(answer.path("rejection").asText("no reason given"))
                        + " (the intent is " + printable(state) + ")");
            }
            if (!connection.json) out.println(verdict() + " counted on " + intent + "; the intent is now " + printable(state));
            return OK;
        }

    }

    /** The person's own token: from {@code file}, else the environment; never from the command line. */
    static String personalToken(Path file) {
        if (file != null) return ConsoleClient.checkToken(readFile(file, "--personal-token-file"), "--personal-token-file " + file);
        String env = environment.apply(TOKEN_ENV);
        if (env != null && !env.isBlank()) return ConsoleClient.checkToken(env, "$" + TOKEN_ENV);
        throw new CliException("this carries your personal token ('magistrate approvers token' mints it): "
                + "--personal-token-file FILE, or set " + TOKEN_ENV);
    }

    /** A personal token goes over plain http to another host only with --insecure-http, and then with a warning. */
    static void checkTransport(ConsoleClient console, Connection connection, PrintStream err) {
        if (!console.clearTextToRemoteHost()) return;
        if (!connection.insecureHttp) {
            throw new CliException("refusing to send your personal token over plain http to " + console.url().getHost()
                    + ": anyone on the way could read it and act as you; use https, or --insecure-http to accept that");
        }
        err.println("warning: your personal token goes over plain http to " + console.url().getHost() + " and can be read on the way");
    }

    /** Refuses a token given as an argument: a command line is visible to every process on the machine. */
    static void refuseTokenInArguments(String token) {
        if (token == null) return;
        throw new CliException("a personal token is never taken from the command line, where other processes can read it: "
                + "put it in a file only you can read and pass --personal-token-file FILE, or set " + TOKEN_ENV
                + " (and treat that token as exposed: mint a new one with 'magistrate approvers token')");
    }

    @Command(name = "approve", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = "Approve a request as it was asked.")
    static final class Approve extends VoteCommand {
        @Option(names = "--comment", paramLabel = "TEXT", description = "a comment that goes with your vote")
        String comment;

        @Mixin
        TotpCode totp;

        @Override
        String verdict() {
            return "approve";
        }

        @Override
        void fill(ObjectNode vote) {
            if (comment != null) vote.put("comment", comment);
            String code = totp.code();
            if (code != null) vote.put("totp", code);
        }
    }

    @Command(name = "deny", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = "Deny a request; the reason reaches the agent that asked.")
    static final class Deny extends VoteCommand {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "why, in words the agent can act on")
        String reason;

        @Override
        String verdict() {
            return "deny";
        }

        @Override
        void fill(ObjectNode vote) {
            if (reason.isBlank()) throw new CliException("--reason: say why (the agent reads it)");
            vote.put("comment", reason);
        }
    }

    @Command(name = "edit", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = {"Approve with changed argument values (scale to 25 instead of 200); the policy decides the edited call again.",
                    "VALUE is typed as in policy eval: true/false, integers, decimals, else text."})
    static final class Edit extends VoteCommand {
        @Option(names = "--set", required = true, paramLabel = "ARG=VALUE", converter = CallArgument.Converter.class,
                description = "an argument's new value; repeat for several")
        List<CallArgument> edits;

        @Option(names = "--comment", paramLabel = "TEXT", description = "a comment that goes with your vote")
        String comment;

        @Mixin
        TotpCode totp;

        @Override
        String verdict() {
            return "approve";
        }

        @Override
        void fill(ObjectNode vote) {
            ObjectNode values = JSON.createObjectNode();
            for (CallArgument e : edits) {
                if (values.has(e.name())) throw new CliException("--set: '" + e.name() + "' is given twice");
                values.set(e.name(), JSON.valueToTree(e.value()));
            }
            if (comment != null) vote.put("comment", comment);
            String code = totp.code();
            if (code != null) vote.put("totp", code);
            vote.set("edits", values);
        }
    }

    @Command(name = "ask", mixinStandardHelpOptions = true, footer = {"", EXIT_STATUS},
            description = "Ask for more information: the call ends without running (needs_information) and the agent reads your question.")
    static final class Ask extends VoteCommand {
        @Option(names = "--question", required = true, paramLabel = "TEXT", description = "what you need to know")
        String question;

        @Override
        String verdict() {
            return "more_info";
        }

        @Override
        void fill(ObjectNode vote) {
            if (question.isBlank()) throw new CliException("--question: ask something");
            vote.put("comment", question);
        }
    }

    // ---- human output ----

    static void printTable(JsonNode list, PrintStream out, Instant now) {
        if (list.isEmpty()) {
            out.println("no requests waiting");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"INTENT", "ACTION", "TIER", "AGENT", "VOTES", "LEFT", "ARGS"});
        for (JsonNode r : list) {
            rows.add(new String[]{text(r, "intent_id"), text(r, "action"), text(r, "tier") + (r.path("mfa").asBoolean() ? " MFA" : ""),
                    text(r, "agent"), countedVotes(r.path("votes")) + "/" + r.path("required_approvals").asInt(1),
                    timeLeft(r.path("deadline").asText(null), now), printable(abbreviate(r.path("args").toString(), 60))});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) line.append(" ".repeat(width[i] - row[i].length() + 2));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** Every field of one request, in the console's order: one line a field; arguments, and lists too long for a line, one item a line. */
    static void printRequest(JsonNode r, PrintStream out, Instant now) {
        int width = "time left".length();
        for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) width = Math.max(width, it.next().length());
        for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String label = f.getKey().replace('_', ' ');
            JsonNode v = f.getValue();
            String pad = " ".repeat(width - label.length() + 2);
            if (v.isObject()) {
                out.println(label + (v.isEmpty() ? pad + "none" : ""));
                int w = 0;
                for (Iterator<String> names = v.fieldNames(); names.hasNext(); ) w = Math.max(w, names.next().length());
                for (Iterator<Map.Entry<String, JsonNode>> e = v.fields(); e.hasNext(); ) {
                    Map.Entry<String, JsonNode> a = e.next();
                    out.println("  " + printable(a.getKey()) + " ".repeat(w - a.getKey().length()) + " = " + printable(a.getValue().toString()));
                }
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) items.add(printable(item.isValueNode() ? item.asText() : item.toString()));
                String inline = String.join(", ", items);
                // Short lists (roles, rules) on the label's line; votes and other long lists one item a line.
                if (inline.length() <= 60) out.println(label + pad + (items.isEmpty() ? "none" : inline));
                else {
                    out.println(label);
                    for (String item : items) out.println("  " + item);
                }
            } else {
                String continued = "\n" + " ".repeat(width + 2);
                out.println(label + pad + (v.isNull() ? "-" : String.join(continued, v.asText().lines().map(ApprovalsCommand::printable).toList())));
            }
            if (f.getKey().equals("deadline") && "pending".equals(r.path("state").asText())) {
                out.println("time left" + " ".repeat(width - "time left".length() + 2) + timeLeft(v.asText(null), now));
            }
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? "-" : printable(n.asText());
    }

    /** Votes the console counted: its history marks the others "(not counted: ...)". */
    private static int countedVotes(JsonNode votes) {
        int n = 0;
        for (JsonNode v : votes) {
            if (v.isObject() ? v.path("accepted").asBoolean() : !v.asText().contains("(not counted")) n++;
        }
        return n;
    }

    static String timeLeft(String deadline, Instant now) {
        if (deadline == null) return "-";
        Duration left;
        try {
            left = Duration.between(now, Instant.parse(deadline));
        } catch (DateTimeParseException e) {
            return "-";
        }
        if (left.isNegative() || left.isZero()) return "expired";
        long s = left.toSeconds();
        if (s >= 3600) return "%dh%02dm".formatted(s / 3600, s / 60 % 60);
        return "%dm%02ds".formatted(s / 60, s % 60);
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /**
     * Text from the console as a terminal should show it: arguments come from the agent, which is untrusted, so
     * control and format characters (escape sequences, bidirectional overrides) are shown as {@code \\uXXXX}.
     */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) b.append("\\u%04x".formatted(c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }
}
