package dev.magistrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicyRequest;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.PolicyTestRunner;
import dev.magistrate.policy.Window;
import dev.magistrate.policy.internal.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;

/**
 * The policy author's commands: check, eval, test, replay, and reload (of a running agent's policy). The work is the dsl and
 * engine modules' public API and the console's; this only parses and prints.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Check, evaluate, test, lint and replay policy files; reload a running agent's policy.",
        subcommands = {PolicyCommand.Check.class, PolicyCommand.Eval.class, PolicyCommand.Test.class, PolicyLintCommand.class,
                PolicyCommand.Reload.class, PolicyReplay.class})
final class PolicyCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    /** A policy path that exists and can be read; otherwise exit 2: the input cannot be read, which says nothing about a policy. */
    static Path readable(String arg) {
        Path p = Path.of(arg);
        if (!Files.exists(p)) throw new CliException("no such policy file or directory: " + p);
        if (!Files.isReadable(p)) throw new CliException("cannot read " + p + ": permission denied");
        return p;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Loads, checks and compiles policy files.",
                    "Prints OK N rules in M paths, or file:line:col: message per error on stderr (exit 1).",
                    "A path that does not exist or cannot be read exits 2."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "policy files, or directories of them")
        List<String> paths;

        @Override
        public Integer call() {
            int rules = 0;
            boolean failed = false;
            for (String a : paths) {
                try {
                    PolicySet set = PolicyLoader.load(readable(a));
                    PolicyCompiler.compile(set);
                    rules += set.rules().size();
                } catch (PolicyException e) {
                    MagistrateCli.err(spec).println(e.getMessage());
                    failed = true;
                }
            }
            if (failed) return NO;
            MagistrateCli.out(spec).println("OK " + rules + " rules in " + paths.size() + (paths.size() == 1 ? " path" : " paths"));
            return OK;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = {"Decides one call with the policy and prints the decision.",
                    "Effect, tier, matched rules, required approvals, roles and MFA. Exit 0 whatever the decision (1 if the policy does not load)."})
    static final class Eval implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE|DIR", description = "the policy file, or a directory of them")
        String policy;

        @Option(names = "--action", required = true, paramLabel = "A", description = "the action name")
        String action;

        @Option(names = "--arg", paramLabel = "NAME=VALUE", converter = CallArgument.Converter.class,
                description = "an argument of the call; a value that looks like a number or true/false is passed as one")
        List<CallArgument> args = new ArrayList<>();

        @Option(names = "--cost", paramLabel = "N", converter = CallArgument.NumberConverter.class, description = "the estimated cost")
        Object cost;

        @Option(names = "--agent", paramLabel = "ID", description = "the calling agent's id")
        String agent;

        @Option(names = "--resource", paramLabel = "R", description = "the resource acted on")
        String resource;

        @Option(names = "--justification", paramLabel = "T", description = "the agent's justification")
        String justification;

        @Option(names = "--urgency", paramLabel = "U", description = "the urgency")
        String urgency;

        @Option(names = "--time", paramLabel = "ISO-8601", converter = InstantConverter.class,
                description = "decide as if at this instant, e.g. 2026-11-24T03:00:00Z")
        Instant time;

        @Option(names = "--signal", paramLabel = "NAME=N", converter = CallArgument.NamedNumber.class,
                description = "the value of signal.NAME (a signal not given is missing)")
        List<CallArgument> signals = new ArrayList<>();

        @Option(names = "--denials-in-a-row", paramLabel = "N", description = "the value of agent.denials_in_a_row (not given: missing)")
        Long denialsInARow;

        @Option(names = "--window", paramLabel = "WINDOW=N", converter = CallArgument.NamedNumber.class,
                description = {"the total a sliding window holds before this call, named as the policy writes it: "
                        + "--window \"count('scale_*', 1h)=3\"; a decision that reads a window not given is denied to be safe"})
        List<CallArgument> windows = new ArrayList<>();

        @Option(names = "--json", description = "one JSON object: effect, tier, rules, approvals, roles, mfa, ...")
        boolean json;

        @Override
        public Integer call() {
            PolicyRequest.Builder b = PolicyRequest.builder(action).agent(agent).resource(resource)
                    .justification(justification).urgency(urgency);
            if (cost != null) b.cost(cost);
            if (time != null) b.time(time);
            // A name given twice takes the last value.
            Map<String, Object> callArgs = new LinkedHashMap<>();
            for (CallArgument a : args) callArgs.put(a.name(), a.value());
            callArgs.forEach(b::arg);
            try {
                for (CallArgument s : signals) b.signal(s.name(), (Number) s.value());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--signal: " + e.getMessage());
            }
            try {
                for (CallArgument w : windows) b.window(w.name(), (Number) w.value());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--window: " + e.getMessage());
            }
            b.denialsInARow(denialsInARow);
            CompiledPolicy compiled;
            try {
                compiled = PolicyCompiler.compile(PolicyLoader.load(readable(policy)));
            } catch (PolicyException e) {
                MagistrateCli.err(spec).println(e.getMessage());
                return NO;
            }
            PolicyRequest request = b.build();
            List<String> notRead = request.windowsNotRead(compiled);
            if (!notRead.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--window: the policy reads no window " + String.join(", ", notRead)
                        + windowList(compiled));
            }
            Decision d = compiled.decide(request);
            MagistrateCli.out(spec).println(json ? toJson(d) : d.explain());
            if (d.denyReasons().containsKey(Decision.FAIL_CLOSED)) {
                for (Window w : request.windowsNotGiven(compiled)) {
                    MagistrateCli.err(spec).println("note: no total was given for the window " + w.definition()
                            + "; if the decision read it, that is why it failed closed: give it with --window \"" + w.definition() + "=N\"");
                }
            }
            return OK;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = {"Runs the test cases kept beside a policy, like opa test.",
                    "Each case has inputs and the expected tier/effect. Prints N passed, M failed; exit 1 when a case fails."})
    static final class Test implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TESTFILE.yaml", description = "the test file")
        String file;

        @Override
        public Integer call() {
            PrintStream out = MagistrateCli.out(spec);
            PrintStream err = MagistrateCli.err(spec);
            return PolicyTestRunner.run(readable(file), out, err);
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = {"Asks a running agent to load its policy files again, through its approval console.",
                    "Carries your personal token; you need the approver role " + LivePolicy.ADMIN_ROLE + ". The reload is audited with your id "
                            + "(POLICY_LOADED, trigger 'cli: ID'). A policy that does not load changes nothing: its errors are printed "
                            + "as file:line:col, the version in force keeps deciding (exit 1)."},
            footer = {"", "Exit status:%n"
                    + "  0  reloaded: the version in force is printed%n"
                    + "  1  refused: the policy does not load (file:line:col on stderr), or you do not hold the role " + LivePolicy.ADMIN_ROLE
                    + " (HTTP 403, 409)%n"
                    + "  2  usage error or bad input: a missing file, a bad argument (HTTP 400, 401)%n"
                    + "  3  the console unreachable, or an answer it should not give"})
    static final class Reload implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ApprovalsCommand.Connection connection;

        @Option(names = "--personal-token-file", paramLabel = "FILE",
                description = "a file holding your personal token (default: $" + ApprovalsCommand.TOKEN_ENV + "); never the token itself")
        Path personalTokenFile;

        /** Accepted only to refuse: a token in a command line is visible to every process on the machine. */
        @Option(names = {"--personal-token", "--token"}, hidden = true, paramLabel = "TOKEN")
        String tokenInArguments;

        @Override
        public Integer call() {
            ApprovalsCommand.refuseTokenInArguments(tokenInArguments);
            String token = ApprovalsCommand.personalToken(personalTokenFile);
            ConsoleClient console = connection.target().client();
            PrintStream out = MagistrateCli.out(spec);
            ApprovalsCommand.checkTransport(console, connection, MagistrateCli.err(spec));
            ConsoleClient.Answer a = console.post("/api/policy/reload", token, JSON.createObjectNode().put("client", "cli"));
            if (a.status() == 409 && a.json() != null && a.json().path("loaded").isBoolean()) {
                if (connection.json) out.println(a.json().toPrettyString());
                PrintStream err = MagistrateCli.err(spec);
                err.println("policy not reloaded; policy " + shortHash(a.json().path("version").asText("?")) + " keeps deciding:");
                for (String line : a.errorText().split("\n")) err.println(ApprovalsCommand.printable(line));
                return NO;
            }
            JsonNode done = ApprovalsCommand.accept(a, connection, out, "policy reload");
            if (!connection.json) {
                String before = done.path("previous_version").asText("?"), after = done.path("version").asText("?");
                out.println("policy reloaded: " + (before.equals(after) ? "unchanged, " + shortHash(after)
                        : shortHash(before) + " -> " + shortHash(after)) + " (" + done.path("rules").asInt() + " rules)");
            }
            return OK;
        }
    }

    static String shortHash(String v) {
        return v.length() > 12 ? v.substring(0, 12) : v;
    }

    private static String windowList(CompiledPolicy p) {
        if (p.windows().isEmpty()) return " (it reads none)";
        StringJoiner j = new StringJoiner(", ", " (it reads: ", ")");
        for (Window w : p.windows()) j.add(w.definition());
        return j.toString();
    }

    /** {@code --time}: an ISO-8601 instant. */
    static final class InstantConverter implements picocli.CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value);
            } catch (DateTimeException e) {
                throw new picocli.CommandLine.TypeConversionException("expected an ISO-8601 instant like 2026-11-24T03:00:00Z, not '" + value + "'");
            }
        }
    }

    /** The decision as one JSON object with stable snake_case field names. */
    static String toJson(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("effect", d.effect().wireName());
        m.put("tier", d.tier().name());
        m.put("rules", d.matchedRules());
        m.put("approvals", d.requiredApprovals());
        m.put("roles", d.requiredRoles());
        m.put("mfa", d.mfaRequired());
        m.put("timeout", Durations.format(d.approvalTimeout()));
        m.put("warrant_ttl", Durations.format(d.warrantTtl()));
        m.put("deny_reasons", d.denyReasons());
        m.put("policy_version", d.policyVersion());
        m.put("explain", d.explain());
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
