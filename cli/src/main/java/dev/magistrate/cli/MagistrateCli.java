package dev.magistrate.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code java -jar magistrate-agent.jar COMMAND}: exit status 0 on success, 1 on a negative answer
 * (invalid, tampered, a test failed, a vote refused; a decision printed by policy eval is an answer, 0, even a
 * denial), 2 on a usage error or input that cannot be read, 3 when a server
 * the command talks to (the approval console) cannot be reached or answers unexpectedly.
 */
@Command(name = "magistrate", mixinStandardHelpOptions = true, versionProvider = MagistrateCli.Version.class,
        description = "Magistrate: governance for AI agents on the JVM.",
        footer = {"", "Exit status: 0 success (policy eval prints a decision, a denial included, and exits 0), 1 a negative answer "
                + "(invalid, tampered, inconsistent, a policy test failed, a vote refused), 2 usage error or input that cannot be read, "
                + "3 the approval console unreachable or answering unexpectedly."},
        subcommands = {PolicyCommand.class, AuditCommand.class, WarrantCommand.class, KeysCommand.class, ApproversCommand.class,
                ApprovalsCommand.class})
public final class MagistrateCli implements Callable<Integer> {

    static final int OK = 0;
    static final int NO = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;

    /** Standard output and error as UTF-8 whatever the platform encoding: checkpoint notes and entries are UTF-8. */
    static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    static final PrintStream ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Standard output and error of this run: {@link #OUT} and {@link #ERR}, or a test's streams. */
    private final PrintStream out;
    private final PrintStream err;

    private MagistrateCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static int run(String[] args) {
        return run(args, OUT, ERR);
    }

    /**
     * As {@link #run(String[])}, with more subcommands: the agent jar adds the ones that need what only it holds
     * (Byte Buddy's view of a class path, for {@code inventory}).
     */
    public static int run(String[] args, java.util.List<Object> moreCommands) {
        return run(args, OUT, ERR, moreCommands);
    }

    /**
     * Runs a command with its output going to {@code out} and {@code err}: usage, errors and the policy
     * commands follow them (the other commands print to {@link #OUT}).
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, java.util.List.of());
    }

    /** Runs a command with its output in {@code out} and {@code err}, and with {@code moreCommands} beside the built-in ones. */
    public static int run(String[] args, PrintStream out, PrintStream err, java.util.List<Object> moreCommands) {
        CommandLine cli = new CommandLine(new MagistrateCli(out, err));
        moreCommands.forEach(cli::addSubcommand);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println();
            c.usage(c.getErr());
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("error: " + message(ex));
            return ex instanceof CliException ce ? ce.exitCode : USAGE;
        });
        cli.setExitCodeExceptionMapper(e -> USAGE);
        int status;
        try {
            status = cli.execute(args);
        } catch (Error e) {
            // Not an answer: exit 1 would read as "invalid" or "tampered" (an uncaught error in main exits with 1).
            err.println("error: " + e);
            status = USAGE;
        }
        out.flush();
        err.flush();
        return status;
    }

    /** The standard output of the run that {@code spec}'s command belongs to. */
    public static PrintStream out(CommandLine.Model.CommandSpec spec) {
        return ((MagistrateCli) spec.root().userObject()).out;
    }

    /** The standard error of the run that {@code spec}'s command belongs to. */
    public static PrintStream err(CommandLine.Model.CommandSpec spec) {
        return ((MagistrateCli) spec.root().userObject()).err;
    }

    private static String message(Exception ex) {
        if (ex instanceof CliException || ex instanceof UncheckedIOException) return ex.getMessage();
        String m = ex.getMessage();
        return m == null ? ex.getClass().getSimpleName() : m;
    }

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("error: missing command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = MagistrateCli.class.getPackage().getImplementationVersion();
            return new String[]{"magistrate " + (v != null ? v : "dev")};
        }
    }

    /** A command group without an action of its own: says what is missing and lists its commands. */
    static Integer missingSubcommand(CommandLine.Model.CommandSpec spec) {
        spec.commandLine().getErr().println("error: missing command for '" + spec.qualifiedName() + "'");
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }
}
