package dev.magistrate.cli;

import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.OUT;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Manage the key directory (magistrate.keys.dir): one key set per purpose,",
                "warrant/ (signs warrants) and log/ (signs audit checkpoints), each rotated on its own."},
        subcommands = {KeysCommand.Generate.class, KeysCommand.Rotate.class, KeysCommand.ListKeys.class, KeysCommand.ExportPublic.class})
final class KeysCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Creates a key directory: warrant/ with an HMAC-SHA256 secret and an Ed25519 key pair, log/ with an Ed25519 key pair.",
                    "Prints the key ids, the log's public key file and its checkpoint verifier key; secrets are written "
                            + "owner-only (the directories rwx------) and never printed. Refuses a directory that already holds keys "
                            + "(the agent also creates them on first start)."})
    static final class Generate implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the key directory to create")
        Path dir;

        @Override
        public Integer call() throws IOException {
            if (Files.exists(dir) && !Files.isDirectory(dir)) throw new CliException(dir + " exists and is not a directory");
            if (Files.isDirectory(dir) && holdsKeys(dir)) {
                throw new CliException(dir + " already holds keys; nothing generated (the agent reads them from magistrate.keys.dir)");
            }
            KeyDirectory keys = KeyDirectory.openOrCreate(dir);
            OUT.println("generated in " + keys.path() + ":");
            printActive(keys);
            return OK;
        }

        private static boolean holdsKeys(Path dir) throws IOException {
            try (Stream<Path> files = Files.walk(dir, 2)) {
                return files.anyMatch(p -> p.getFileName().toString().matches(".+\\.(hmac-sha256|ed25519)\\.(key|pub)"));
            }
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Generates new keys for a purpose and makes them the ones that sign; a running agent follows within a second.",
                    "warrant: the old keys keep verifying the warrants they signed until you retire them (after the longest warrant TTL).",
                    "log: the old key's private half is deleted, its public half stays in log/ so the log verifies from its first entry.",
                    "Give every public key in log/ to an auditor who verifies with --public-key, or have them use --keys."})
    static final class Rotate implements Callable<Integer> {
        @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the key directory (magistrate.keys.dir)")
        Path dir;

        @Option(names = "--purpose", paramLabel = "PURPOSE", description = "warrant or log (default: both)")
        String purpose;

        @Override
        public Integer call() {
            if (!Files.isDirectory(dir)) throw new CliException("no key directory at " + dir + " (create one with: keys generate " + dir + ")");
            List<KeyPurpose> purposes;
            try {
                purposes = purpose == null ? List.of(KeyPurpose.values()) : List.of(KeyPurpose.fromName(purpose));
            } catch (IllegalArgumentException e) {
                throw new CliException("--purpose: " + e.getMessage());
            }
            KeyDirectory keys = openForWriting(dir);
            for (KeyPurpose p : purposes) {
                List<String> before = activeIds(keys.keys(p));
                keys.rotate(p);
                OUT.println("rotated " + p.dirName() + " keys: " + String.join(", ", before) + " -> " + String.join(", ", activeIds(keys.keys(p))));
            }
            printActive(keys);
            return OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists every key by purpose: id, algorithm, and whether it signs, verifies only, or holds a secret.")
    static final class ListKeys implements Callable<Integer> {
        @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the key directory (magistrate.keys.dir)")
        Path dir;

        @Override
        public Integer call() {
            KeyDirectory keys = openForReading(dir);
            for (KeyPurpose p : KeyPurpose.values()) {
                KeySet set = keys.keys(p);
                List<String> active = activeIds(set);
                for (String id : set.keyIds()) {
                    WarrantKey k = set.key(id).orElseThrow();
                    String status = active.contains(id) ? "active" : k.canSign() ? "retired (can still sign; retire it once unused)" : "retired (verifies only)";
                    OUT.printf("%-8s %-32s %-12s %s%n", p.dirName(), id, k.algorithm().wireName(), status);
                }
            }
            return OK;
        }
    }

    @Command(name = "export-public", mixinStandardHelpOptions = true,
            description = {"Copies every Ed25519 public key (active and retired) into OUT/warrant/ and OUT/log/: what an auditor",
                    "or another system needs to verify warrants and the audit log, and nothing secret.",
                    "audit verify --keys OUT and warrant verify --public-key OUT/warrant/KEYID.ed25519.pub then work."})
    static final class ExportPublic implements Callable<Integer> {
        @Option(names = "--keys", required = true, paramLabel = "DIR", description = "the key directory (magistrate.keys.dir)")
        Path dir;

        @Option(names = "--out", required = true, paramLabel = "OUT", description = "where to write (created; existing files are kept)")
        Path out;

        @Override
        public Integer call() {
            KeyDirectory keys = openForReading(dir);
            int n = 0;
            for (KeyPurpose p : KeyPurpose.values()) {
                KeySet set = keys.keys(p);
                Path target = out.resolve(p.dirName());
                for (String id : set.keyIds()) {
                    Path pub = set.path().resolve(id + ".ed25519.pub");
                    if (!Files.isRegularFile(pub)) continue; // HMAC keys have no public half
                    try {
                        Files.createDirectories(target);
                        Files.copy(pub, target.resolve(pub.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    } catch (IOException e) {
                        throw new CliException("cannot write " + target + ": " + e.getMessage());
                    }
                    OUT.println(p.dirName() + "/" + pub.getFileName());
                    n++;
                }
            }
            OUT.println(n + " public keys in " + out.toAbsolutePath());
            return OK;
        }
    }

    private static KeyDirectory openForReading(Path dir) {
        try {
            return KeyDirectory.open(dir);
        } catch (RuntimeException e) {
            throw new CliException("cannot read key directory " + dir + ": " + e.getMessage());
        }
    }

    private static KeyDirectory openForWriting(Path dir) {
        try {
            return KeyDirectory.openOrCreate(dir);
        } catch (RuntimeException e) {
            throw new CliException("cannot open key directory " + dir + ": " + e.getMessage());
        }
    }

    private static List<String> activeIds(KeySet set) {
        List<String> ids = new ArrayList<>();
        for (SignatureAlgorithm a : set.purpose().algorithms()) ids.add(set.signingKey(a).keyId());
        return ids;
    }

    private static void printActive(KeyDirectory keys) {
        KeySet warrant = keys.warrantKeys();
        WarrantKey hmac = warrant.signingKey(SignatureAlgorithm.HMAC_SHA256);
        WarrantKey ed = warrant.signingKey(SignatureAlgorithm.ED25519);
        Ed25519Key log = (Ed25519Key) keys.keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519);
        OUT.println("  warrant  HMAC-SHA256  " + hmac.keyId() + "   (secret warrant/" + hmac.keyId() + ".hmac-sha256.key, owner-only: T0 warrants)");
        OUT.println("  warrant  Ed25519      " + ed.keyId() + "   (private warrant/" + ed.keyId() + ".ed25519.key, owner-only: approved warrants)");
        OUT.println("  log      Ed25519      " + log.keyId() + "   (private log/" + log.keyId() + ".ed25519.key, owner-only: audit checkpoints)");
        OUT.println("warrant public key: " + warrant.path().resolve(ed.keyId() + ".ed25519.pub").toAbsolutePath());
        OUT.println("log public key: " + keys.keys(KeyPurpose.LOG).path().resolve(log.keyId() + ".ed25519.pub").toAbsolutePath());
        OUT.println("audit checkpoint verifier key: " + log.checkpointVerifier().verifierKey());
    }
}
