package dev.magistrate.cli;

import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.KeySet;
import dev.magistrate.warrant.ConsumedWarrantLedger;
import dev.magistrate.warrant.RejectionReason;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantRejectedException;
import dev.magistrate.warrant.WarrantVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.OUT;

@Command(name = "warrant", mixinStandardHelpOptions = true, description = "Check warrants offline.",
        subcommands = WarrantCommand.Verify.class)
final class WarrantCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    /**
     * Every check of {@link WarrantVerifier} except single use, with the one key named on the command
     * line. It never records the warrant as used anywhere: whether it was already used is known only to
     * the ledger of the process that would run the call ({@code consumed-warrants.log} in its audit
     * directory).
     */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Checks a warrant offline: VALID, or INVALID: reason.",
                    "FILE is the warrant's JSON (e.g. fields.warrant of an audit export). Checks the key id, the algorithm, the "
                            + "signature, the validity window (now, or --at), and with --action the action, the approvers' constraints "
                            + "and the argument digest against the --arg values. Prints VALID (exit 0) or INVALID: reason: detail (exit 1), "
                            + "reasons as in docs/warrants.md.",
                    "It does NOT use the warrant up, and cannot tell whether it was already used: single use is recorded in the "
                            + "consumed-warrant ledger of the process that runs the call (consumed-warrants.log)."})
    static final class Verify implements Callable<Integer> {
        private static final Pattern KEY_FILE = Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.(hmac-sha256|ed25519)\\.(key|pub)");

        @Parameters(index = "0", paramLabel = "FILE", description = "the warrant's JSON")
        Path file;

        @Option(names = "--key", required = true, paramLabel = "FILE",
                description = {"a key file of the key directory that signed it: KEYID.ed25519.pub (the public key is all an",
                        "Ed25519 warrant needs) or KEYID.hmac-sha256.key (the secret: only its holders can check HMAC warrants)"})
        Path keyFile;

        @Option(names = "--action", paramLabel = "A", description = "the action of the call the warrant is meant to authorise")
        String action;

        @Option(names = "--arg", paramLabel = "NAME=VALUE", converter = CallArgument.Converter.class,
                description = {"an argument of that call (all of them: the digest covers the whole set); a value that looks",
                        "like a number or true/false is passed as one, as in policy eval"})
        List<CallArgument> args = new ArrayList<>();

        @Option(names = "--at", paramLabel = "ISO-8601",
                description = "check the validity window at this instant instead of now (e.g. when the call ran)")
        String at;

        @Override
        public Integer call() throws IOException {
            if (action == null && !args.isEmpty()) throw new CliException("--arg needs --action: arguments are checked for a call");
            Map<String, Object> callArgs = parseArgs(args);
            Clock clock = Clock.systemUTC();
            if (at != null) {
                try {
                    clock = Clock.fixed(Instant.parse(at), ZoneOffset.UTC);
                } catch (DateTimeException e) {
                    throw new CliException("--at takes an ISO-8601 instant like 2026-11-24T22:00:00Z, not '" + at + "'");
                }
            }
            String json;
            try {
                json = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("cannot read warrant " + file + ": " + e);
            }
            Matcher m = KEY_FILE.matcher(keyFile.getFileName().toString());
            if (!m.matches()) throw new CliException(keyFile + ": a key file is named KEYID.ed25519.pub or KEYID.hmac-sha256.key");
            if (m.group(2).equals("ed25519") && m.group(3).equals("key")) {
                throw new CliException(keyFile + " is a private key; verify with the public key " + m.group(1) + ".ed25519.pub");
            }
            if (!Files.isRegularFile(keyFile)) throw new CliException("no key file at " + keyFile);
            String keyId = m.group(1);

            Warrant w;
            try {
                w = Warrant.fromJson(json);
            } catch (WarrantRejectedException e) {
                return invalid(e);
            }
            if (!w.keyId().equals(keyId)) {
                return invalid(new WarrantRejectedException(RejectionReason.UNKNOWN_KEY, w.warrantId(),
                        "the warrant is signed by key '" + w.keyId() + "', " + keyFile.getFileName() + " is key '" + keyId + "'"));
            }
            // The key file's own directory (the key directory's warrant/, as the agent wrote it); only the key with the warrant's id is used.
            KeySet keys;
            try {
                keys = KeySet.open(KeyPurpose.WARRANT, keyFile.toAbsolutePath().getParent());
            } catch (RuntimeException e) {
                throw new CliException("cannot read key " + keyFile + ": " + e.getMessage());
            }
            // WarrantVerifier requires a ledger; checkWithoutConsuming never touches it. A throwaway one
            // keeps any real ledger (and its owner's lock) out of reach.
            Path scratch = Files.createTempDirectory("magistrate-warrant-verify");
            try (ConsumedWarrantLedger unused = ConsumedWarrantLedger.open(scratch.resolve("unused.log"), clock)) {
                WarrantVerifier verifier = new WarrantVerifier(keys, unused, clock, WarrantVerifier.DEFAULT_CLOCK_SKEW);
                try {
                    if (action != null) {
                        verifier.checkWithoutConsuming(w, action, callArgs);
                    } else {
                        // Checks run in a fixed order; constraints and digest come last, and without a call they are not judged.
                        verifier.checkWithoutConsuming(w, w.action(), Map.of());
                    }
                } catch (WarrantRejectedException e) {
                    boolean notJudged = action == null && (e.reason() == RejectionReason.CONSTRAINT_VIOLATED
                            || e.reason() == RejectionReason.ARGS_MISMATCH);
                    if (!notJudged) return invalid(e);
                }
            } finally {
                deleteTree(scratch);
            }
            OUT.println("VALID");
            OUT.println("warrant " + w.warrantId() + " for " + w.action() + " (" + w.tier() + ")"
                    + (w.approvedBy().isEmpty() ? "" : ", approved by " + String.join(", ", w.approvedBy()))
                    + (w.constraints().isEmpty() ? "" : ", constraints: " + String.join(", ", w.constraints().stream().map(dev.magistrate.warrant.Constraint::describe).toList())));
            OUT.println("signed by " + w.keyId() + " (" + w.algorithm().wireName() + "), valid " + Warrant.timestamp(w.notBefore())
                    + " to " + Warrant.timestamp(w.expiresAt()) + ", checked at " + Warrant.timestamp(clock.instant()));
            OUT.println(action != null
                    ? "checked: key, signature, validity window, action, constraints, argument digest"
                    : "checked: key, signature, validity window; not checked: action, constraints and arguments (give --action and --arg)");
            OUT.println("not checkable offline: single use (only the consumed-warrant ledger of the process that runs the call knows)");
            return OK;
        }

        private static int invalid(WarrantRejectedException e) {
            OUT.println("INVALID: " + e.reason().wireName() + ": " + detail(e));
            return NO;
        }

        /** The detail of "warrant ID rejected (reason): detail". */
        private static String detail(WarrantRejectedException e) {
            String m = e.getMessage();
            String marker = "(" + e.reason().wireName() + "): ";
            int at = m.indexOf(marker);
            return at < 0 ? m : m.substring(at + marker.length());
        }

        static Map<String, Object> parseArgs(List<CallArgument> args) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (CallArgument a : args) {
                if (out.put(a.name(), a.value()) != null) throw new CliException("--arg " + a.name() + " given twice");
            }
            return out;
        }

        private static void deleteTree(Path dir) throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
