package dev.magistrate.cli;

import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.OUT;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the key directory (magistrate.keys.dir).",
        subcommands = KeysCommand.Generate.class)
final class KeysCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return MagistrateCli.missingSubcommand(spec);
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Creates a key directory: an HMAC-SHA256 secret and an Ed25519 key pair.",
                    "Prints the key ids, the public key file and the audit checkpoint verifier key; secrets are written "
                            + "owner-only (the directory rwx------) and never printed. Refuses a directory that already holds keys "
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
            WarrantKey hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
            Ed25519Key ed = (Ed25519Key) keys.signingKey(SignatureAlgorithm.ED25519);
            Path pub = keys.path().resolve(ed.keyId() + ".ed25519.pub");
            OUT.println("generated in " + keys.path() + ":");
            OUT.println("  HMAC-SHA256  " + hmac.keyId() + "   (secret " + hmac.keyId() + ".hmac-sha256.key, owner-only: T0 warrants)");
            OUT.println("  Ed25519      " + ed.keyId() + "   (private " + ed.keyId() + ".ed25519.key, owner-only: approved warrants, audit checkpoints)");
            OUT.println("public key: " + pub.toAbsolutePath());
            OUT.println("audit checkpoint verifier key: "
                    + new CheckpointVerifier(LogKeyOptions.KEY_NAME_PREFIX + ed.keyId(), ed.publicKeyBytes()).verifierKey());
            return OK;
        }

        private static boolean holdsKeys(Path dir) throws IOException {
            try (Stream<Path> files = Files.list(dir)) {
                return files.anyMatch(p -> p.getFileName().toString().matches(".+\\.(hmac-sha256|ed25519)\\.(key|pub)"));
            }
        }
    }
}
