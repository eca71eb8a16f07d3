package dev.magistrate.cli;

import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ApproverDirectoryException;
import dev.magistrate.approval.ApproverToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static dev.magistrate.cli.MagistrateCli.OK;

@Command(name = "approvers", mixinStandardHelpOptions = true,
        description = "Manage the approver directory (magistrate.approvers): who may vote, and the credential each vote carries.",
        subcommands = {ApproversCommand.Token.class})
final class ApproversCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"Mints a personal token for one approver: 256 random bits, printed ONCE on standard output, for that person only.",
                    "Also prints the token_sha256 line to put in that approver's entry: the directory holds only the hash, so the",
                    "governed process, which can read the directory, cannot vote. Votes through the console carry the token as",
                    "their bearer token. Minting again replaces the old token once the new hash is in the file."})
    static final class Token implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--approvers", required = true, paramLabel = "FILE", description = "the approver directory (approvers.yaml)")
        Path file;

        @Option(names = "--id", required = true, paramLabel = "ID", description = "the approver's id in that file")
        String id;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) throw new CliException("--approvers: no such file " + file);
            ApproverDirectory dir;
            try {
                dir = ApproverDirectory.load(file);
            } catch (ApproverDirectoryException e) {
                throw new CliException("--approvers: " + e.getMessage());
            }
            Approver a = dir.find(id).orElseThrow(() -> new CliException("--id: no approver '" + id + "' in " + file + " (known: "
                    + dir.all().stream().map(Approver::id).collect(Collectors.joining(", ")) + ")"));
            String token = ApproverToken.mint();
            PrintStream out = MagistrateCli.out(spec);
            out.println("personal token for '" + a.id() + "' (shown once; give it to " + a.displayName()
                    + " only, never store it where the agent's process can read it):");
            out.println(token);
            out.println();
            out.println("add to (or replace in) the entry of '" + a.id() + "' in " + file + ":");
            out.println("    token_sha256: " + ApproverToken.sha256Hex(token));
            if (a.hasToken()) out.println("(the entry has a token_sha256 already: replacing it revokes the old token)");
            return OK;
        }
    }
}
