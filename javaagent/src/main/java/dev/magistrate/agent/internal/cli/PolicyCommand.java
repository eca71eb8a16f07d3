package dev.magistrate.agent.internal.cli;

import dev.magistrate.policy.PolicyTool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The policy author's commands. The work is done by {@link PolicyTool} (dsl module), which the
 * policy tests also run; picocli adds per-command help and usage errors, then hands the same
 * arguments over.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Check, evaluate and test policy files.",
        subcommands = {PolicyCommand.Check.class, PolicyCommand.Eval.class, PolicyCommand.Test.class})
final class PolicyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    static int delegate(List<String> args) {
        return PolicyTool.run(args.toArray(new String[0]), MagistrateCli.OUT, MagistrateCli.ERR);
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Loads, checks and compiles policy files.",
                    "Prints OK N rules in M paths, or file:line:col: message per error on stderr (exit 1)."})
    static final class Check implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "policy files, or directories of them")
        List<String> paths;

        @Override
        public Integer call() {
            List<String> args = new ArrayList<>();
            args.add("check");
            args.addAll(paths);
            return delegate(args);
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = {"Decides one call with the policy and prints the decision.",
                    "Effect, tier, matched rules, required approvals, roles and MFA. Exit 0 whatever the decision (1 if the policy does not load)."})
    static final class Eval implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE|DIR", description = "the policy file, or a directory of them")
        String policy;

        @Option(names = "--action", required = true, paramLabel = "A", description = "the action name")
        String action;

        @Option(names = "--arg", paramLabel = "NAME=VALUE",
                description = "an argument of the call; a value that looks like a number or true/false is passed as one")
        List<String> args = new ArrayList<>();

        @Option(names = "--cost", paramLabel = "N", description = "the estimated cost")
        String cost;

        @Option(names = "--agent", paramLabel = "ID", description = "the calling agent's id")
        String agent;

        @Option(names = "--resource", paramLabel = "R", description = "the resource acted on")
        String resource;

        @Option(names = "--justification", paramLabel = "T", description = "the agent's justification")
        String justification;

        @Option(names = "--urgency", paramLabel = "U", description = "the urgency")
        String urgency;

        @Option(names = "--time", paramLabel = "ISO-8601", description = "decide as if at this instant, e.g. 2026-11-24T03:00:00Z")
        String time;

        @Option(names = "--json", description = "one JSON object: effect, tier, rules, approvals, roles, mfa, ...")
        boolean json;

        @Override
        public Integer call() {
            List<String> a = new ArrayList<>(List.of("eval", policy, "--action", action));
            for (String arg : args) {
                a.add("--arg");
                a.add(arg);
            }
            add(a, "--cost", cost);
            add(a, "--agent", agent);
            add(a, "--resource", resource);
            add(a, "--justification", justification);
            add(a, "--urgency", urgency);
            add(a, "--time", time);
            if (json) a.add("--json");
            return delegate(a);
        }

        private static void add(List<String> a, String option, String value) {
            if (value != null) {
                a.add(option);
                a.add(value);
            }
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = {"Runs the test cases kept beside a policy, like opa test.",
                    "Each case has inputs and the expected tier/effect. Prints N passed, M failed; exit 1 when a case fails."})
    static final class Test implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TESTFILE.yaml", description = "the test file")
        String file;

        @Override
        public Integer call() {
            return delegate(List.of("test", file));
        }
    }
}
