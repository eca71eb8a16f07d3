package dev.magistrate.cli;

import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.keys.KeyDirectory;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which keys the audit log's checkpoints are trusted from. Checking a log needs only Ed25519 public
 * keys and their note key names ({@code magistrate-KEYID}); a log whose key was rotated was signed by
 * several keys, and every one of them must be trusted for it to verify from its first entry.
 * <ul>
 *   <li>{@code --public-key FILE} (repeatable): a {@code KEYID.ed25519.pub} file from the key directory's
 *       {@code log/} (key name {@code magistrate-KEYID}), or a file holding a signed-note verifier key
 *       {@code NAME+HEXID+BASE64}, as {@code keys generate} prints it. The strongest choice when the files
 *       were copied off the machine that writes the log.</li>
 *   <li>{@code --keys DIR}: a key directory; every public key in {@code DIR/log/} (the active one and the
 *       retired ones) is trusted. Someone who can write there can plant a key of their own.</li>
 * </ul>
 */
final class LogKeyOptions {

    private static final Pattern PUB_FILE = Pattern.compile("([a-z0-9][a-z0-9-]{0,63})\\.ed25519\\.pub");

    @Option(names = "--public-key", paramLabel = "FILE",
            description = {"a public key the log's checkpoints are trusted from (repeat it for a log whose key was rotated):",
                    "KEYID.ed25519.pub from the key directory's log/ (key name magistrate-KEYID),",
                    "or a file holding the verifier key NAME+HEXID+BASE64 that 'keys generate' prints"})
    List<Path> publicKeys;

    @Option(names = "--keys", paramLabel = "DIR",
            description = {"a key directory: every public key in DIR/log/ (active and retired) is trusted"})
    Path keysDir;

    /** The verifier for the log; exactly one of the two options must have been given. */
    CheckpointVerifier verifier() {
        boolean files = publicKeys != null && !publicKeys.isEmpty();
        if (files == (keysDir != null)) {
            throw new CliException("give the log's public key: --public-key log/KEYID.ed25519.pub (repeatable), or --keys KEYDIR (not both)");
        }
        if (keysDir == null) return CheckpointVerifier.trusting(publicKeys.stream().map(LogKeyOptions::fromFile).toList());
        if (!Files.isDirectory(keysDir)) throw new CliException("no key directory at " + keysDir);
        if (publicOnly(keysDir.resolve("log"))) {
            // An export (keys export-public): public halves only, every one trusted, as in a full key directory.
            try (Stream<Path> listed = Files.list(keysDir.resolve("log"))) {
                return CheckpointVerifier.trusting(listed.filter(f -> PUB_FILE.matcher(f.getFileName().toString()).matches()).sorted()
                        .map(LogKeyOptions::fromFile).toList());
            } catch (IOException e) {
                throw new CliException("cannot read the log keys in " + keysDir + ": " + e.getMessage());
            }
        }
        try {
            return KeyDirectory.open(keysDir).logKeys().verifier();
        } catch (RuntimeException e) {
            throw new CliException("cannot read the log keys in " + keysDir + ": " + e.getMessage());
        }
    }

    /** True when {@code logDir} holds public keys and no private key or active file: an export, not a key set. */
    private static boolean publicOnly(Path logDir) {
        if (!Files.isDirectory(logDir) || Files.exists(logDir.resolve("active"))) return false;
        try (Stream<Path> files = Files.list(logDir)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            return names.stream().anyMatch(n -> n.endsWith(".ed25519.pub")) && names.stream().noneMatch(n -> n.endsWith(".key"));
        } catch (IOException e) {
            return false;
        }
    }

    /** A description of where the keys came from, for output. */
    String source() {
        return keysDir != null ? keysDir.toString() : String.join(", ", publicKeys.stream().map(Path::toString).toList());
    }

    static CheckpointVerifier fromFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read public key " + file + ": " + e);
        }
        try {
            return CheckpointVerifier.fromKeyFile(file.getFileName().toString(), text);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
    }
}