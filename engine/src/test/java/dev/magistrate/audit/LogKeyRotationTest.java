package dev.magistrate.audit;

import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeyPurpose;
import dev.magistrate.keys.SignatureAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.magistrate.audit.AuditTestSupport.appendEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A log signed across rotations of its key keeps verifying from its first entry; a key never trusted is tampering. */
class LogKeyRotationTest {

    @TempDir
    Path tmp;

    private AuditLogOptions options(Path audit, KeyDirectory keys) {
        return AuditLogOptions.defaults(audit, AuditTestSupport.ORIGIN, keys.logKeys());
    }

    private static CheckpointVerifier only(KeyDirectory keys, String keyId) {
        return ((Ed25519Key) keys.keys(KeyPurpose.LOG).key(keyId).orElseThrow()).checkpointVerifier();
    }

    private static String activeLogKey(KeyDirectory keys) {
        return keys.keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519).keyId();
    }

    @Test
    void rotatingTheLogKeyWhileTheLogIsOpenKeepsItVerifyingFromTheStart() throws Exception {
        Path audit = tmp.resolve("audit");
        KeyDirectory keys = KeyDirectory.openOrCreate(tmp.resolve("keys"));
        String first = activeLogKey(keys);
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(audit, keys))) {
            appendEvents(log, 0, 10);
            log.checkpoint();
            KeyDirectory.open(tmp.resolve("keys")).rotate(KeyPurpose.LOG); // the command line, while the log is open
            Thread.sleep(1_200); // the running process looks for a rotation once a second
            appendEvents(log, 10, 10);
            assertTrue(log.checkpoint().contains("magistrate-" + activeLogKey(keys)), "signed by the new key after the rotation");
        }
        String second = activeLogKey(KeyDirectory.open(tmp.resolve("keys")));
        assertTrue(!first.equals(second));

        KeyDirectory reread = KeyDirectory.open(tmp.resolve("keys"));
        VerificationResult all = new AuditLogVerifier(reread.logKeys().verifier()).verify(audit);
        assertEquals(VerificationResult.Status.OK, all.status(), all.summary());
        assertEquals(20, all.entries());

        // Only the new key: the old checkpoints are by a key this verifier does not trust.
        VerificationResult newOnly = new AuditLogVerifier(only(reread, second)).verify(audit);
        assertEquals(VerificationResult.Status.TAMPERED, newOnly.status());
        assertTrue(newOnly.reason().contains("signed by: magistrate-" + first), newOnly.reason());
        // Only the old key: the checkpoints after the rotation are not trusted.
        VerificationResult oldOnly = new AuditLogVerifier(only(reread, first)).verify(audit);
        assertEquals(VerificationResult.Status.TAMPERED, oldOnly.status());
        assertTrue(oldOnly.reason().contains("signed by: magistrate-" + second), oldOnly.reason());
    }

    @Test
    void rotatingBetweenRestartsReopensTheLogAndSignsWithTheNewKey() throws Exception {
        Path audit = tmp.resolve("audit");
        Path keyDir = tmp.resolve("keys");
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(audit, KeyDirectory.openOrCreate(keyDir)))) {
            appendEvents(log, 0, 5);
        }
        for (int restart = 0; restart < 3; restart++) {
            KeyDirectory.open(keyDir).rotate(KeyPurpose.LOG, KeyPurpose.WARRANT);
            KeyDirectory keys = KeyDirectory.openOrCreate(keyDir);
            try (ChronicleAuditLog log = ChronicleAuditLog.open(options(audit, keys))) {
                appendEvents(log, 5 + restart * 5L, 5);
            }
            assertTrue(Files.readString(audit.resolve(AuditLogVerifier.CHECKPOINT_FILE)).contains("magistrate-" + activeLogKey(keys)));
        }
        VerificationResult r = new AuditLogVerifier(KeyDirectory.open(keyDir).logKeys().verifier()).verify(audit);
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        assertEquals(20, r.entries());
        assertEquals(4, KeyDirectory.open(keyDir).keys(KeyPurpose.LOG).keyIds().size(), "every retired log key stays trusted");
    }

    @Test
    void aCheckpointByAKeyNeverTrustedIsTamperingAndTheLogRefusesToOpen() throws Exception {
        Path audit = tmp.resolve("audit");
        KeyDirectory keys = KeyDirectory.openOrCreate(tmp.resolve("keys"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(audit, keys))) {
            appendEvents(log, 0, 5);
        }
        // An attacker with write access to the audit directory rewrites it under a key of their own.
        Path forged = tmp.resolve("forged");
        KeyDirectory attacker = KeyDirectory.openOrCreate(tmp.resolve("attacker-keys"));
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(forged, attacker))) {
            appendEvents(log, 0, 5);
        }
        VerificationResult r = new AuditLogVerifier(keys.logKeys().verifier()).verify(forged);
        assertEquals(VerificationResult.Status.TAMPERED, r.status(), r.summary());
        assertTrue(r.reason().contains("no signature by a trusted key"), r.reason());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChronicleAuditLog.open(options(forged, keys)));
        assertTrue(e.getMessage().contains("TAMPERED"), e.getMessage());
        // The honest log still verifies.
        assertEquals(VerificationResult.Status.OK, new AuditLogVerifier(keys.logKeys().verifier()).verify(audit).status());
    }

    @Test
    void aLogWrittenBeforeKeyPurposesKeepsVerifyingAfterTheDirectoryIsMoved() throws Exception {
        Path audit = tmp.resolve("audit");
        Path keyDir = tmp.resolve("keys");
        // Before purposes: keys at the top level, the warrant Ed25519 key signing checkpoints too.
        Files.createDirectories(keyDir);
        KeyDirectory.openOrCreate(tmp.resolve("scratch")); // keys for the old layout, copied flat below
        Path oldSet = tmp.resolve("scratch").resolve("warrant");
        try (var files = Files.list(oldSet)) {
            for (Path f : files.toList()) Files.copy(f, keyDir.resolve(f.getFileName()));
        }
        String oldEd = KeyDirectory.open(tmp.resolve("scratch")).warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        Ed25519Key old = (Ed25519Key) KeyDirectory.open(tmp.resolve("scratch")).warrantKeys().signingKey(SignatureAlgorithm.ED25519);
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditLogOptions.defaults(audit, AuditTestSupport.ORIGIN, old.checkpointSigner()))) {
            appendEvents(log, 0, 7);
        }
        KeyDirectory moved = KeyDirectory.openOrCreate(keyDir);
        assertEquals(oldEd, moved.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId());
        try (ChronicleAuditLog log = ChronicleAuditLog.open(options(audit, moved))) {
            appendEvents(log, 7, 3);
        }
        VerificationResult r = new AuditLogVerifier(KeyDirectory.open(keyDir).logKeys().verifier()).verify(audit);
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        assertEquals(10, r.entries());
    }
}
