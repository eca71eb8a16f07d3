package dev.magistrate.cli;

import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.Execution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code keys export-public}: an auditor verifies the log with the export alone, and the export holds nothing secret. */
class KeysExportTest {

    static int run(String... args) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream quiet = new PrintStream(sink, true, StandardCharsets.UTF_8);
        return MagistrateCli.run(args, quiet, quiet);
    }

    @Test
    void theLogVerifiesWithThePublicKeysAloneAcrossARotation(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, "policies:\n  - {name: reads, condition: \"action == 'read'\", risk_tier: T0}\n");
        Path keys = dir.resolve("keys"), audit = dir.resolve("audit");
        MagistrateSettings settings = MagistrateSettings.builder().policy(policy).keysDirectory(keys).auditDirectory(audit).build();
        for (int round = 0; round < 2; round++) {
            try (Magistrate m = Magistrate.open(settings)) {
                Execution run = m.admit(m.intent("read").arg("round", round).build());
                run.completed("ok");
            }
            if (round == 0) assertEquals(0, run("keys", "rotate", "--keys", keys.toString(), "--purpose", "log"));
        }
        Path export = dir.resolve("export");
        assertEquals(0, run("keys", "export-public", "--keys", keys.toString(), "--out", export.toString()));
        List<String> files;
        try (Stream<Path> s = Files.walk(export)) {
            files = s.filter(Files::isRegularFile).map(p -> export.relativize(p).toString()).sorted().toList();
        }
        assertEquals(2, files.stream().filter(f -> f.startsWith("log/")).count(), "both log keys, the retired one too: " + files);
        assertTrue(files.stream().anyMatch(f -> f.startsWith("warrant/")), files.toString());
        assertTrue(files.stream().allMatch(f -> f.endsWith(".ed25519.pub")), "nothing secret: " + files);
        assertEquals(0, run("audit", "verify", audit.toString(), "--keys", export.toString()), "verifies with the export alone");
        Files.delete(Files.list(export.resolve("log")).sorted().findFirst().orElseThrow());
        assertEquals(1, run("audit", "verify", audit.toString(), "--keys", export.toString()), "without one of the keys it does not");
    }
}
