package dev.magistrate.cli;

import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.ApproverDirectoryException;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.PasswordHash;
import dev.magistrate.approval.Totp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static dev.magistrate.cli.MagistrateCli.OK;

@Command(name = "approvers", mixinStandardHelpOptions = true,
        description = "Manage the approver directory (magistrate.approvers): who may vote, and the credential each vote carries.",
        subcommands = {ApproversCommand.Token.class, ApproversCommand.Password.class, ApproversCommand.TotpCode.class})
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

    @Command(name = "password", mixinStandardHelpOptions = true,
            description = {"Hashes a console password with Argon2id and prints the password_hash line for the approver's entry.",
                    "Reads the password twice from the terminal, without echo; with --stdin, once from standard input (for scripts).",
                    "The password itself is never printed or stored; the directory holds only the hash."})
    static final class Password implements Callable<Integer> {
        static final int MIN_CHARS = 12;

        @Spec
        CommandSpec spec;

        @Option(names = "--stdin", description = "read the password from the first line of standard input instead of the terminal")
        boolean stdin;

        @Override
        public Integer call() throws IOException {
            char[] password = stdin ? firstLine(System.in) : fromTerminal();
            try {
                if (password.length < MIN_CHARS) throw new CliException("a console password has at least " + MIN_CHARS + " characters");
                String hash = PasswordHash.create(password);
                PrintStream out = MagistrateCli.out(spec);
                out.println("add to (or replace in) the approver's entry in the approver directory:");
                out.println("    password_hash: \"" + hash + "\"");
                return OK;
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            } finally {
                Arrays.fill(password, '\0');
            }
        }

        private static char[] fromTerminal() {
            Console console = System.console();
            if (console == null) throw new CliException("no terminal to read the password from without echo; pipe it in with --stdin");
            char[] first = console.readPassword("console password: ");
            char[] second = console.readPassword("again: ");
            if (first == null || second == null) throw new CliException("no password read");
            boolean same = Arrays.equals(first, second);
            Arrays.fill(second, '\0');
            if (!same) {
                Arrays.fill(first, '\0');
                throw new CliException("the two passwords differ");
            }
            return first;
        }

        /** The first line, without its line break, read character by character so no copy outlives the array. */
        private static char[] firstLine(InputStream in) throws IOException {
            Reader r = new InputStreamReader(in, StandardCharsets.UTF_8);
            char[] buf = new char[256];
            int n = 0;
            int c;
            while ((c = r.read()) >= 0 && c != '\n') {
                if (n == buf.length) {
                    char[] bigger = Arrays.copyOf(buf, n * 2);
                    Arrays.fill(buf, '\0');
                    buf = bigger;
                }
                buf[n++] = (char) c;
            }
            if (n > 0 && buf[n - 1] == '\r') n--;
            char[] line = Arrays.copyOf(buf, n);
            Arrays.fill(buf, '\0');
            return line;
        }
    }

    @Command(name = "totp-code", mixinStandardHelpOptions = true,
            description = {"Prints the current TOTP code (RFC 6238, 6 digits, 30 s) for a base32 secret kept in a file: what an",
                    "authenticator app would show. For demos and tests; a real approver's secret lives only in their app."})
    static final class TotpCode implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--secret-file", required = true, paramLabel = "FILE", description = "a file holding the base32 secret (its first line)")
        Path file;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(file)) throw new CliException("--secret-file: no such file " + file);
            String secret = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .findFirst().orElseThrow(() -> new CliException("--secret-file: " + file + " holds no secret"));
            byte[] key;
            try {
                key = Totp.decodeBase32(secret);
            } catch (IllegalArgumentException e) {
                throw new CliException("--secret-file: " + e.getMessage());
            }
            long left = Totp.STEP_SECONDS - Math.floorMod(Instant.now().getEpochSecond(), Totp.STEP_SECONDS);
            MagistrateCli.out(spec).println(Totp.codeAt(key, Instant.now()) + "   (valid for " + left + " more seconds)");
            return OK;
        }
    }
}
