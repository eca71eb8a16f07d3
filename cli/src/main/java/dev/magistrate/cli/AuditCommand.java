package dev.magistrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.AuditReport;
import dev.magistrate.audit.AuditTail;
import dev.magistrate.audit.AuditTimeline;
import dev.magistrate.audit.Checkpoint;
import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.audit.EvidenceBundle;
import dev.magistrate.audit.InvalidCheckpointException;
import dev.magistrate.audit.JsonLinesExporter;
import dev.magistrate.audit.LogProofs;
import dev.magistrate.audit.ShadowReport;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.governor.BreakGlass;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.OUT;

/** Reading the audit trail: verify, prove, export, tail, report, timeline. All read-only; none takes the writer's lock. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Verify, prove, export, follow and summarise an audit trail.",
                "DIR is the directory the agent writes as magistrate.audit.dir. Every command is read-only and safe beside a running agent."},
        subcommands = {AuditCommand.Verify.class, AuditCommand.Prove.class, AuditCommand.Consistency.class,
                AuditCommand.Export.class, AuditCommand.Tail.class, AuditCommand.Report.class, AuditCommand.Timeline.class,
                AuditCommand.Evidence.class, AuditCommand.BreakGlassGrants.class})
final class AuditCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    static Path auditDirectory(Path dir) {
        if (!Files.isDirectory(dir)) throw new CliException("no audit directory at " + dir);
        return dir;
    }

    /** The checkpoint given on the command line, else the one the log keeps in DIR; it must exist. */
    /** The checkpoint in {@code note} when a trusted key signed it; otherwise prints "VERDICT: FILE is not validly signed ..." and gives null. */
    private static CheckpointVerifier.Signed signed(CheckpointVerifier verifier, Path file, String note, String verdict) {
        try {
            return verifier.verifySigned(note);
        } catch (InvalidCheckpointException e) {
            OUT.println(verdict + ": " + file + " is not validly signed by " + verifier.keyName() + ": " + e.getMessage());
            return null;
        }
    }

    static Path checkpointFile(Path given, Path dir) {
        Path file = given != null ? given : dir.resolve(AuditLogVerifier.CHECKPOINT_FILE);
        if (!Files.isRegularFile(file)) throw new CliException("no checkpoint file at " + file);
        return file;
    }

    static String readNote(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read checkpoint " + file + ": " + e);
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Checks the log with its public key alone: OK N entries, or TAMPERED at entry I.",
                    "Checks every entry's hash link and every signed checkpoint. Prints OK N entries (exit 0) or TAMPERED at entry I: reason (exit 1). "
                            + "Entries after the last checkpoint (a crash, or a live log between checkpoints) and a half-written last entry "
                            + "left by a crash are warnings on the OK line, not tampering.",
                    "The public key: --public-key FILE (a copy kept off this machine is the strongest), or --keys DIR, where the "
                            + "key named in DIR/checkpoint is looked up (this trusts the public keys in that directory). "
                            + "A rollback of the whole directory (files and checkpoint restored from an older copy) is only visible "
                            + "against a checkpoint kept elsewhere: --checkpoint."})
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Mixin
        LogKeyOptions key;

        @Option(names = "--checkpoint", paramLabel = "FILE",
                description = "a signed checkpoint of this log kept elsewhere (an earlier copy of DIR/checkpoint): "
                        + "detects truncation, rollback or rewrite behind it")
        Path checkpoint;

        @Option(names = "--witness", paramLabel = "URL",
                description = "the fleet service that witnessed this log's checkpoints (docs/fleet.md): the log must also contain "
                        + "the head it witnessed, checked with a consistency proof; exit 1 when the log is shorter (ROLLED BACK) "
                        + "or its history does not hold the head's root (FORKED)")
        URI witness;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "with --witness: the file holding the agent's token (the witness keeps one head per agent)")
        Path tokenFile;

        @Override
        public Integer call() {
            auditDirectory(dir);
            if (witness != null && tokenFile == null) {
                throw new CliException("--witness needs --token-file FILE: the agent's token (the witness keeps one head per agent)");
            }
            if (witness == null && tokenFile != null) throw new CliException("--token-file is only used with --witness URL");
            CheckpointVerifier verifier = key.verifier();
            AuditLogVerifier logVerifier = new AuditLogVerifier(verifier);
            VerificationResult r;
            if (checkpoint != null) {
                String note = readNote(checkpoint);
                try {
                    r = logVerifier.verify(dir, note);
                } catch (IllegalArgumentException e) {
                    OUT.println("INVALID checkpoint " + checkpoint + ": " + e.getMessage() + " (key " + verifier.keyName() + ")");
                    return NO;
                }
            } else {
                r = logVerifier.verify(dir);
            }
            OUT.println(r.summary());
            if (r.firstIndex() > 0) {
                OUT.println("note: the log starts at entry " + r.firstIndex() + "; entries before it were pruned by retention"
                        + " and are covered by the signed checkpoint it starts from");
            }
            if (witness != null && !r.tampered()) return WitnessCheck.check(dir, verifier, witness, tokenFile);
            return r.tampered() ? NO : OK;
        }
    }

    @Command(name = "prove", mixinStandardHelpOptions = true,
            description = {"Proves that entry I is in the signed log (an RFC 9162 inclusion proof).",
                    "Builds the proof against the signed checkpoint and checks it with the public key: one entry can be shown to an "
                            + "auditor without the rest of the log. --json prints the proof (entry bytes, signed checkpoint, audit path) "
                            + "to hand over. Exit 1 when the entry cannot be proven (not covered by the checkpoint, or the log does not match it)."})
    static final class Prove implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Option(names = "--entry", required = true, paramLabel = "I", description = "the entry's index")
        long entry;

        @Option(names = "--checkpoint", paramLabel = "FILE", description = "prove against this signed checkpoint (default: DIR/checkpoint)")
        Path checkpoint;

        @Option(names = "--json", description = "print the proof as one JSON object")
        boolean json;

        @Mixin
        LogKeyOptions key;

        @Override
        public Integer call() {
            auditDirectory(dir);
            CheckpointVerifier verifier = key.verifier();
            Path cpFile = checkpointFile(checkpoint, dir);
            String note = readNote(cpFile);
            CheckpointVerifier.Signed signed = signed(verifier, cpFile, note, "NOT PROVEN");
            if (signed == null) return NO;
            Checkpoint cp = signed.checkpoint();
            LogProofs.InclusionProof proof;
            try {
                proof = LogProofs.proveInclusion(dir, entry, note);
            } catch (IllegalArgumentException | IllegalStateException e) {
                OUT.println("NOT PROVEN: " + e.getMessage());
                return NO;
            }
            if (!LogProofs.verify(proof, verifier)) {
                OUT.println("NOT PROVEN: the audit path for entry " + entry + " does not lead to the signed root; run audit verify");
                return NO;
            }
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode o = m.createObjectNode();
                o.put("index", proof.index());
                o.put("entry", new String(proof.entry(), StandardCharsets.UTF_8));
                o.put("checkpoint", proof.checkpointNote());
                o.put("verifier_key", signed.signerKey());
                ArrayNode path = o.putArray("path");
                for (byte[] h : proof.path()) path.add(HexFormat.of().formatHex(h));
                OUT.println(o.toString());
            } else {
                OUT.println("PROVEN: entry " + entry + " is in the log '" + cp.origin() + "' signed for " + cp.size()
                        + " entries by " + signed.signerName());
                OUT.println("root " + Base64.getEncoder().encodeToString(cp.rootHash()) + ", audit path of " + proof.path().size()
                        + (proof.path().size() == 1 ? " hash" : " hashes"));
                OUT.println(new String(proof.entry(), StandardCharsets.UTF_8));
            }
            return OK;
        }
    }

    @Command(name = "consistency", mixinStandardHelpOptions = true,
            description = {"Proves that an older signed checkpoint's log is a prefix of today's.",
                    "An RFC 9162 consistency proof from a checkpoint kept elsewhere to the one in DIR (or --new), built from the "
                            + "entries in DIR, which must match the newer checkpoint: nothing signed then was changed, removed or "
                            + "rolled back since. Prints CONSISTENT (exit 0) or INCONSISTENT: reason (exit 1). Entries after the newer "
                            + "checkpoint are not looked at: audit verify DIR --checkpoint OLD checks the whole directory."})
    static final class Consistency implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "OLD_CHECKPOINT", description = "the older signed checkpoint")
        Path older;

        @Parameters(index = "1", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Option(names = "--new", paramLabel = "NEW_CHECKPOINT", description = "the newer signed checkpoint (default: DIR/checkpoint)")
        Path newer;

        @Mixin
        LogKeyOptions key;

        @Override
        public Integer call() {
            auditDirectory(dir);
            CheckpointVerifier verifier = key.verifier();
            Path newFile = checkpointFile(newer, dir);
            String oldNote = readNote(older);
            String newNote = readNote(newFile);
            CheckpointVerifier.Signed oldSigned = signed(verifier, older, oldNote, "INCONSISTENT");
            if (oldSigned == null) return NO;
            CheckpointVerifier.Signed newSigned = signed(verifier, newFile, newNote, "INCONSISTENT");
            if (newSigned == null) return NO;
            Checkpoint o = oldSigned.checkpoint();
            Checkpoint n = newSigned.checkpoint();
            if (!o.origin().equals(n.origin())) {
                OUT.println("INCONSISTENT: the checkpoints are of different logs ('" + o.origin() + "', '" + n.origin() + "')");
                return NO;
            }
            if (o.size() > n.size()) {
                OUT.println("INCONSISTENT: log truncated or rolled back: the older checkpoint is signed for " + o.size()
                        + " entries, the newer for " + n.size());
                return NO;
            }
            if (n.size() > 0) {
                // The proof relates two signed roots; that DIR still holds the entries behind the newer one is checked
                // here (with equal sizes the proof is empty and would not look at DIR at all).
                try {
                    LogProofs.proveInclusion(dir, n.size() - 1, newNote);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    OUT.println("INCONSISTENT: the log in " + dir + " does not match " + newFile + ": " + e.getMessage());
                    return NO;
                }
            }
            LogProofs.ConsistencyProof proof;
            try {
                proof = LogProofs.proveConsistency(dir, oldNote, newNote);
            } catch (IllegalArgumentException | IllegalStateException e) {
                OUT.println("INCONSISTENT: " + e.getMessage());
                return NO;
            }
            if (!LogProofs.verify(proof, verifier)) {
                OUT.println("INCONSISTENT: the first " + o.size() + " entries are not the ones the older checkpoint was signed for"
                        + " (log rewritten or rolled back)");
                return NO;
            }
            OUT.println("CONSISTENT: the log signed for " + o.size() + " entries is a prefix of the log signed for " + n.size()
                    + " entries (proof of " + proof.path().size() + (proof.path().size() == 1 ? " hash)" : " hashes)"));
            return OK;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes the log as JSON Lines to standard output.",
                    "One object per entry with index, type, intent_id, time and fields (docs/audit-events.md). An issued warrant "
                            + "appears whole, signature included, as the object fields.warrant: save it to a file and 'warrant verify' "
                            + "it offline. Export does not verify the log: run audit verify for that."})
    static final class Export implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Option(names = "--from", paramLabel = "I", defaultValue = "0", description = "first entry to export (default: ${DEFAULT-VALUE})")
        long from;

        @Override
        public Integer call() {
            auditDirectory(dir);
            try {
                JsonLinesExporter.export(dir, from, OUT);
            } catch (IllegalStateException e) {
                throw new CliException(NO, dir + ": " + e.getMessage());
            }
            return OK;
        }
    }

    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = {"Prints the last entries as JSON Lines; -f follows the log until interrupted.",
                    "Lines are in the export format. With -f it keeps printing entries as the agent appends them, until interrupted (Ctrl-C)."})
    static final class Tail implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Option(names = {"-f", "--follow"}, description = "keep printing entries as they are appended")
        boolean follow;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "10", description = "how many of the last entries to print first (default: ${DEFAULT-VALUE})")
        int lines;

        @Option(names = "--from", paramLabel = "I", description = "start at this entry instead of the last N")
        Long from;

        @Option(names = "--poll", paramLabel = "MS", defaultValue = "200", description = "with -f: how often to look for new entries, in milliseconds (default: ${DEFAULT-VALUE})")
        long pollMillis;

        @Override
        public Integer call() throws InterruptedException {
            auditDirectory(dir);
            if (lines < 0 || pollMillis < 1 || (from != null && from < 0)) throw new CliException("-n, --from and --poll take positive numbers");
            long next;
            try {
                if (from != null) {
                    next = AuditTail.tail(dir, from, false, pollMillis, () -> false, d -> OUT.println(JsonLinesExporter.line(d)));
                } else {
                    ArrayDeque<String> last = new ArrayDeque<>();
                    next = AuditTail.tail(dir, 0, false, pollMillis, () -> false, d -> {
                        if (lines == 0) return;
                        if (last.size() == lines) last.removeFirst();
                        last.addLast(JsonLinesExporter.line(d));
                    });
                    last.forEach(OUT::println);
                }
                if (follow) AuditTail.tail(dir, next, true, pollMillis, () -> true, d -> OUT.println(JsonLinesExporter.line(d)));
            } catch (IllegalStateException e) {
                throw new CliException(NO, dir + ": " + e.getMessage());
            }
            return OK;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"Summarises the log: counts and approval latency.",
                    "Intents by action, decisions by tier, intents by outcome, denials by rule, and approval latency (request to "
                            + "warrant, denial or time-out) p50 / p95 / max. Does not verify the log: run audit verify for that.",
                    "--shadow: every call where the shadow policy (shadow rules, or magistrate.policy.shadow) decided otherwise than "
                            + "the live one, and the rules that made the difference; exit 1 when there is one."})
    static final class Report implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Option(names = "--shadow", description = "instead: every call where the shadow policy decided otherwise than the live one "
                + "(effect or tier), with counts by rule; exit 1 when there is one, 0 when they agreed on every call")
        boolean shadow;

        @Override
        public Integer call() {
            auditDirectory(dir);
            if (shadow) {
                ShadowReport r;
                try {
                    r = ShadowReport.of(dir);
                } catch (IllegalStateException e) {
                    throw new CliException(dir + ": " + e.getMessage());
                }
                PrintStream out = MagistrateCli.out(spec);
                out.print(r.toText());
                out.flush();
                return r.differences().isEmpty() ? OK : NO;
            }
            AuditReport r;
            try {
                r = AuditReport.of(dir);
            } catch (IllegalStateException e) {
                throw new CliException(NO, dir + ": " + e.getMessage());
            }
            OUT.print(r.toText());
            OUT.flush();
            return OK;
        }
    }

    @Command(name = "break-glass", mixinStandardHelpOptions = true,
            description = {"Lists the break-glass grants no one has reviewed yet, open or closed; exit 1 when there is one, so CI or ops can alarm.",
                    "Each line: the grant, who opened it and when, the actions it covers, its uses, its expiry and whether it can still be used, and its reason."})
    static final class BreakGlassGrants implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Override
        public Integer call() {
            auditDirectory(dir);
            List<BreakGlass.Grant> all;
            try {
                all = BreakGlass.inAuditTrail(dir);
            } catch (IllegalStateException e) {
                throw new CliException(dir + ": " + e.getMessage());
            }
            List<BreakGlass.Grant> unreviewed = all.stream().filter(g -> !g.reviewed()).toList();
            java.time.Instant now = java.time.Instant.now();
            PrintStream out = MagistrateCli.out(spec);
            out.println(unreviewed.size() + (unreviewed.size() == 1 ? " unreviewed break-glass grant" : " unreviewed break-glass grants")
                    + " (" + (all.size() - unreviewed.size()) + " reviewed)");
            for (BreakGlass.Grant g : unreviewed) {
                out.println(g.id() + "  opened " + g.openedAt() + " by " + g.openedBy() + " " + g.roles() + "  actions " + g.actions()
                        + "  used " + g.used() + " of " + g.uses() + "  expires " + g.expiresAt() + (g.live(now) ? " (open)" : " (closed)"));
                out.println("  reason: " + g.reason());
            }
            out.flush();
            return unreviewed.isEmpty() ? OK : NO;
        }
    }

    @Command(name = "timeline", mixinStandardHelpOptions = true,
            description = "One line per intent in submission order: time, action, tier, outcome, who approved, how long the caller waited, "
                    + "and the warrant; a denial's reason on the line below. Nested calls are indented.")
    static final class Timeline implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Override
        public Integer call() {
            auditDirectory(dir);
            try {
                OUT.print(AuditTimeline.toText(AuditTimeline.of(dir)));
            } catch (IllegalStateException e) {
                throw new CliException(NO, dir + ": " + e.getMessage());
            }
            OUT.flush();
            return OK;
        }
    }

    @Command(name = "evidence", mixinStandardHelpOptions = true,
            description = {"One call's evidence, to prove offline and to a third party what happened to it.",
                    "audit evidence DIR INTENT --keys KEYDIR --out BUNDLE.zip [--policy FILE|DIR]...: writes the intent's audit entries as stored,",
                    "an inclusion proof of each against the signed checkpoint, the checkpoint, the public keys, the signed warrant, the policy",
                    "files (checked to be the ones that decided) and a README.",
                    "audit evidence --verify BUNDLE.zip [--public-key LOG_KEY.ed25519.pub]...: checks it with nothing else installed;",
                    "prints each check, OK or FAILED; exit 0 when all hold, 1 otherwise."})
    static final class Evidence implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "the audit directory")
        Path dir;

        @Parameters(index = "1", arity = "0..1", paramLabel = "INTENT", description = "the intent id")
        String intent;

        @Option(names = "--out", paramLabel = "BUNDLE.zip", description = "where to write the bundle")
        Path out;

        @Option(names = "--keys", paramLabel = "KEYDIR", description = "a key directory, or a 'keys export-public' directory: its log/ and warrant/ public keys go in")
        Path keys;

        @Option(names = "--policy", paramLabel = "FILE|DIR", description = "the policy that decided, to include (repeatable)")
        List<Path> policy = new ArrayList<>();

        @Option(names = "--verify", paramLabel = "BUNDLE.zip", description = "check a bundle instead of writing one")
        Path verify;

        @Option(names = "--public-key", paramLabel = "FILE", description = "with --verify: a log key to trust instead of the bundle's own (repeatable)")
        List<Path> publicKeys = new ArrayList<>();

        @Override
        public Integer call() {
            PrintStream out = MagistrateCli.out(spec);
            if (verify != null) {
                if (dir != null || this.out != null) throw new CliException("--verify takes a bundle only: audit evidence --verify BUNDLE.zip");
                if (!Files.isRegularFile(verify)) throw new CliException("no bundle at " + verify);
                EvidenceBundle.Report r = EvidenceBundle.verify(verify, publicKeys.stream().map(LogKeyOptions::fromFile).toList());
                for (EvidenceBundle.Check c : r.checks()) out.println((c.ok() ? "OK      " : "FAILED  ") + c.what() + ": " + c.detail());
                out.println(r.ok() ? "VERIFIED" : "NOT VERIFIED");
                return r.ok() ? OK : NO;
            }
            if (dir == null || intent == null || this.out == null || keys == null) {
                throw new CliException("write a bundle with: audit evidence DIR INTENT --keys KEYDIR --out BUNDLE.zip; check one with --verify BUNDLE.zip");
            }
            auditDirectory(dir);
            if (!Files.isDirectory(keys)) throw new CliException("no key directory at " + keys);
            List<Path> files = new ArrayList<>();
            for (Path p : policy) files.addAll(policyFiles(p));
            EvidenceBundle.Written w;
            try {
                w = EvidenceBundle.write(dir, intent, keys, files, this.out);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new CliException(NO, e.getMessage());
            }
            out.println("wrote " + this.out + ": " + w.entries() + " entries of intent " + intent + " with inclusion proofs against the checkpoint of "
                    + w.checkpointSize() + " entries, " + w.keys() + " public keys, " + w.policyFiles() + " policy files");
            if (w.uncheckpointed() > 0) {
                out.println("note: " + w.uncheckpointed() + " more entries of this intent come after the checkpoint and are not in the bundle;"
                        + " make it again after the next checkpoint");
            }
            return OK;
        }

        private static List<Path> policyFiles(Path p) {
            if (Files.isRegularFile(p)) return List.of(p);
            if (!Files.isDirectory(p)) throw new CliException("--policy: no such file or directory " + p);
            try (Stream<Path> s = Files.list(p)) {
                return s.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                        .filter(f -> !f.getFileName().toString().contains(".test.")).sorted().toList();
            } catch (IOException e) {
                throw new CliException("--policy: cannot list " + p + ": " + e.getMessage());
            }
        }
    }
}
