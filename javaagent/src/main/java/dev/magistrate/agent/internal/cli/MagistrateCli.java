package dev.magistrate.agent.internal.cli;

import dev.magistrate.policy.PolicyTool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code java -jar magistrate-agent.jar COMMAND}: exit status 0 on success, 1 on a negative answer
 * (invalid, tampered, denied), 2 on a usage error.
 */
@Command(name = "magistrate", mixinStandardHelpOptions = true, versionProvider = MagistrateCli.Version.class,
        description = "Magistrate: governance for AI agents on the JVM.",
        subcommands = {MagistrateCli.Policy.class})
public final class MagistrateCli implements Callable<Integer> {

    public static int run(String[] args) {
        CommandLine cli = new CommandLine(new MagistrateCli());
        cli.setExitCodeExceptionMapper(e -> 2);
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return 2;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = MagistrateCli.class.getPackage().getImplementationVersion();
            return new String[]{"magistrate " + (v != null ? v : "dev")};
        }
    }

    /** The policy author's commands, shared with {@link PolicyTool}. */
    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = {"Check, evaluate and test policy files.",
                    "  policy check FILE|DIR...",
                    "  policy eval FILE|DIR --action A [--arg NAME=VALUE]... [--cost N] [--agent ID] [--json]",
                    "  policy test TESTFILE.yaml"})
    static final class Policy implements Callable<Integer> {
        @Parameters(index = "0", description = "check, eval or test")
        String command;

        @Unmatched
        List<String> rest = new ArrayList<>();

        @Override
        public Integer call() {
            List<String> args = new ArrayList<>();
            args.add(command);
            args.addAll(rest);
            return PolicyTool.run(args.toArray(new String[0]), System.out, System.err);
        }
    }
}
