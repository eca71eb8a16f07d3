package dev.magistrate.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void generatesOneKeyPerAlgorithmAndPurposeWithOwnerOnlySecrets() throws Exception {
        KeyDirectory root = KeyDirectory.openOrCreate(dir.resolve("keys"));
        KeySet keys = root.warrantKeys();
        WarrantKey hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        WarrantKey ed = keys.signingKey(SignatureAlgorithm.ED25519);
        assertTrue(hmac.keyId().startsWith("hmac-"));
        assertTrue(ed.keyId().startsWith("ed25519-"));
        KeySet log = root.keys(KeyPurpose.LOG);
        assertEquals(1, log.keyIds().size(), "the log signs with Ed25519 only");
        WarrantKey logKey = log.signingKey(SignatureAlgorithm.ED25519);
        assertTrue(logKey.keyId().startsWith("log-ed25519-"), logKey.keyId());
        assertTrue(keys.key(logKey.keyId()).isEmpty(), "a log key never verifies a warrant");
        assertThrows(IllegalStateException.class, () -> log.signingKey(SignatureAlgorithm.HMAC_SHA256));
        for (String purpose : List.of("warrant", "log")) {
            Path sub = dir.resolve("keys").resolve(purpose);
            try (Stream<Path> files = Files.list(sub)) {
                for (Path f : files.toList()) {
                    String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
                    if (f.toString().endsWith(".key")) assertEquals("rw-------", perms, f.toString());
                }
            }
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sub)));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys"))));
    }

    @Test
    void eachPurposeRotatesApart() {
        KeyDirectory root = KeyDirectory.openOrCreate(dir);
        String warrantEd = root.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        String logEd = root.keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519).keyId();
        root.rotate(KeyPurpose.LOG);
        assertEquals(warrantEd, root.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId(), "warrant keys untouched");
        String newLog = root.keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519).keyId();
        assertNotEquals(logEd, newLog);
        WarrantKey retired = root.keys(KeyPurpose.LOG).key(logEd).orElseThrow();
        assertFalse(retired.canSign(), "a retired log key keeps only its public half");
        assertFalse(Files.exists(dir.resolve("log").resolve(logEd + ".ed25519.key")));
        root.rotate(KeyPurpose.WARRANT);
        assertEquals(newLog, root.keys(KeyPurpose.LOG).signingKey(SignatureAlgorithm.ED25519).keyId(), "log keys untouched");
        assertNotEquals(warrantEd, root.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId());
        assertTrue(root.warrantKeys().key(warrantEd).isPresent(), "a retired warrant key verifies until retired by hand");
        assertEquals(4, root.warrantKeys().keyIds().size());
        assertEquals(2, root.keys(KeyPurpose.LOG).keyIds().size());
    }

    @Test
    void aRotationByAnotherProcessIsPickedUpWithinASecond() throws Exception {
        KeyDirectory running = KeyDirectory.openOrCreate(dir);
        String before = running.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        KeyDirectory.open(dir).rotate(KeyPurpose.WARRANT); // the command line, in effect
        String after = KeyDirectory.open(dir).warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        long deadline = System.nanoTime() + 3 * KeySet.REFRESH_INTERVAL_NANOS;
        while (running.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId().equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(after, running.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId());
        assertTrue(running.warrantKeys().key(before).isPresent(), "the old key still verifies");
    }

    @Test
    void aHalfWrittenDirectoryKeepsTheKeysLoadedBefore() throws Exception {
        KeyDirectory running = KeyDirectory.openOrCreate(dir);
        String before = running.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId();
        Files.writeString(dir.resolve("warrant").resolve("active"), "ed25519=ed25519-0000000000000000\n");
        Thread.sleep(KeySet.REFRESH_INTERVAL_NANOS / 1_000_000 + 100);
        assertEquals(before, running.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId());
        assertThrows(IllegalStateException.class, () -> KeyDirectory.open(dir), "a fresh start on a broken directory fails closed");
    }

    @Test
    void aDirectoryFromBeforePurposesIsMovedAndItsLogKeyStaysTrusted() throws Exception {
        // The old layout: keys at the top level, one Ed25519 key for warrants and checkpoints.
        KeySet legacy = KeySet.openOrCreate(KeyPurpose.WARRANT, dir);
        String legacyEd = legacy.signingKey(SignatureAlgorithm.ED25519).keyId();
        String legacyHmac = legacy.signingKey(SignatureAlgorithm.HMAC_SHA256).keyId();
        Files.writeString(dir.resolve("console.json"), "{}");
        assertThrows(IllegalStateException.class, () -> KeyDirectory.open(dir), "read-only open does not move keys");
        KeyDirectory root = KeyDirectory.openOrCreate(dir);
        assertEquals(legacyEd, root.warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId());
        assertEquals(legacyHmac, root.warrantKeys().signingKey(SignatureAlgorithm.HMAC_SHA256).keyId());
        KeySet log = root.keys(KeyPurpose.LOG);
        assertNotEquals(legacyEd, log.signingKey(SignatureAlgorithm.ED25519).keyId(), "the log gets a key of its own");
        assertFalse(log.key(legacyEd).orElseThrow().canSign(), "the old key is trusted for the log it signed, never signs it again");
        assertTrue(Files.exists(dir.resolve("console.json")), "files that are not keys stay");
        assertEquals(root.warrantKeys().keyIds(), KeyDirectory.open(dir).warrantKeys().keyIds());
    }

    @Test
    void reopeningTheDirectoryGivesTheSameKeys() {
        KeySet first = KeyDirectory.openOrCreate(dir).warrantKeys();
        byte[] msg = "warrant bytes".getBytes(StandardCharsets.UTF_8);
        byte[] hmacSig = first.signingKey(SignatureAlgorithm.HMAC_SHA256).sign(msg);
        byte[] edSig = first.signingKey(SignatureAlgorithm.ED25519).sign(msg);
        KeySet second = KeyDirectory.open(dir).warrantKeys();
        assertEquals(first.keyIds(), second.keyIds());
        assertTrue(second.signingKey(SignatureAlgorithm.HMAC_SHA256).verify(msg, hmacSig));
        assertTrue(second.signingKey(SignatureAlgorithm.ED25519).verify(msg, edSig));
        assertArrayEquals(hmacSig, second.signingKey(SignatureAlgorithm.HMAC_SHA256).sign(msg));
    }

    @Test
    void rotationKeepsOldKeysVerifyingUntilRetired() {
        KeySet keys = KeyDirectory.openOrCreate(dir).warrantKeys();
        WarrantKey old = keys.signingKey(SignatureAlgorithm.ED25519);
        byte[] msg = {1, 2, 3};
        byte[] sig = old.sign(msg);
        keys.rotate();
        WarrantKey current = keys.signingKey(SignatureAlgorithm.ED25519);
        assertNotEquals(old.keyId(), current.keyId());
        assertEquals(4, keys.keyIds().size());
        assertTrue(keys.key(old.keyId()).orElseThrow().verify(msg, sig), "old key still verifies");
        assertEquals(current.keyId(), KeyDirectory.open(dir).warrantKeys().signingKey(SignatureAlgorithm.ED25519).keyId(), "rotation survives reopening");
        assertThrows(IllegalStateException.class, () -> keys.retire(current.keyId()), "the signing key cannot be retired");
        keys.retire(old.keyId());
        assertTrue(keys.key(old.keyId()).isEmpty());
        assertTrue(KeyDirectory.open(dir).warrantKeys().key(old.keyId()).isEmpty());
    }

    @Test
    void publicKeysAloneVerifyButCannotSign() throws Exception {
        KeySet keys = KeyDirectory.openOrCreate(dir.resolve("signer")).warrantKeys();
        Ed25519Key ed = (Ed25519Key) keys.signingKey(SignatureAlgorithm.ED25519);
        byte[] msg = "offline".getBytes(StandardCharsets.UTF_8);
        byte[] sig = ed.sign(msg);
        Path verifierDir = Files.createDirectories(dir.resolve("verifier").resolve("warrant"));
        Files.copy(keys.path().resolve(ed.keyId() + ".ed25519.pub"), verifierDir.resolve(ed.keyId() + ".ed25519.pub"));
        KeySet verifier = KeyDirectory.open(dir.resolve("verifier")).warrantKeys();
        WarrantKey pub = verifier.key(ed.keyId()).orElseThrow();
        assertFalse(pub.canSign());
        assertTrue(pub.verify(msg, sig));
        sig[0] ^= 1;
        assertFalse(pub.verify(msg, sig));
        assertThrows(IllegalStateException.class, () -> verifier.signingKey(SignatureAlgorithm.ED25519));
    }

    @Test
    void secretReadableByOthersIsRefused() throws Exception {
        KeySet keys = KeyDirectory.openOrCreate(dir).warrantKeys();
        Path secret = keys.path().resolve(keys.signingKey(SignatureAlgorithm.HMAC_SHA256).keyId() + ".hmac-sha256.key");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KeyDirectory.open(dir));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void secretsNeverAppearInStringsOrErrors() throws Exception {
        KeySet keys = KeyDirectory.openOrCreate(dir).warrantKeys();
        WarrantKey hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        Path secretFile = keys.path().resolve(hmac.keyId() + ".hmac-sha256.key");
        String secret = Files.readString(secretFile).strip();
        byte[] raw = Base64.getDecoder().decode(secret);
        for (String s : List.of(keys.toString(), hmac.toString(), keys.signingKey(SignatureAlgorithm.ED25519).toString())) {
            assertFalse(s.contains(secret), s);
            assertFalse(s.contains(java.util.HexFormat.of().formatHex(raw)), s);
        }
        Files.writeString(secretFile, "%%" + secret + "%%");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KeyDirectory.open(dir));
        assertFalse(e.getMessage().contains(secret), e.getMessage());
    }

    @Test
    void wrongLengthSignaturesAreRefusedWithoutThrowing() {
        KeySet keys = KeyDirectory.openOrCreate(dir).warrantKeys();
        for (SignatureAlgorithm a : SignatureAlgorithm.values()) {
            WarrantKey k = keys.signingKey(a);
            assertFalse(k.verify(new byte[]{1}, new byte[0]));
            assertFalse(k.verify(new byte[]{1}, new byte[3]));
            assertFalse(k.verify(new byte[]{1}, null));
        }
    }
}
