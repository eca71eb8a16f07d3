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
    void generatesOneKeyPerAlgorithmWithOwnerOnlySecrets() throws Exception {
        KeyDirectory keys = KeyDirectory.openOrCreate(dir.resolve("keys"));
        WarrantKey hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        WarrantKey ed = keys.signingKey(SignatureAlgorithm.ED25519);
        assertTrue(hmac.keyId().startsWith("hmac-"));
        assertTrue(ed.keyId().startsWith("ed25519-"));
        try (Stream<Path> files = Files.list(dir.resolve("keys"))) {
            for (Path f : files.toList()) {
                String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
                if (f.toString().endsWith(".key")) assertEquals("rw-------", perms, f.toString());
            }
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys"))));
    }

    @Test
    void reopeningTheDirectoryGivesTheSameKeys() {
        KeyDirectory first = KeyDirectory.openOrCreate(dir);
        byte[] msg = "warrant bytes".getBytes(StandardCharsets.UTF_8);
        byte[] hmacSig = first.signingKey(SignatureAlgorithm.HMAC_SHA256).sign(msg);
        byte[] edSig = first.signingKey(SignatureAlgorithm.ED25519).sign(msg);
        KeyDirectory second = KeyDirectory.open(dir);
        assertEquals(first.keyIds(), second.keyIds());
        assertTrue(second.signingKey(SignatureAlgorithm.HMAC_SHA256).verify(msg, hmacSig));
        assertTrue(second.signingKey(SignatureAlgorithm.ED25519).verify(msg, edSig));
        assertArrayEquals(hmacSig, second.signingKey(SignatureAlgorithm.HMAC_SHA256).sign(msg));
    }

    @Test
    void rotationKeepsOldKeysVerifyingUntilRetired() {
        KeyDirectory keys = KeyDirectory.openOrCreate(dir);
        WarrantKey old = keys.signingKey(SignatureAlgorithm.ED25519);
        byte[] msg = {1, 2, 3};
        byte[] sig = old.sign(msg);
        keys.rotate();
        WarrantKey current = keys.signingKey(SignatureAlgorithm.ED25519);
        assertNotEquals(old.keyId(), current.keyId());
        assertEquals(4, keys.keyIds().size());
        assertTrue(keys.key(old.keyId()).orElseThrow().verify(msg, sig), "old key still verifies");
        assertEquals(current.keyId(), KeyDirectory.open(dir).signingKey(SignatureAlgorithm.ED25519).keyId(), "rotation survives reopening");
        assertThrows(IllegalStateException.class, () -> keys.retire(current.keyId()), "the signing key cannot be retired");
        keys.retire(old.keyId());
        assertTrue(keys.key(old.keyId()).isEmpty());
        assertTrue(KeyDirectory.open(dir).key(old.keyId()).isEmpty());
    }

    @Test
    void publicKeysAloneVerifyButCannotSign() throws Exception {
        KeyDirectory keys = KeyDirectory.openOrCreate(dir.resolve("signer"));
        Ed25519Key ed = (Ed25519Key) keys.signingKey(SignatureAlgorithm.ED25519);
        byte[] msg = "offline".getBytes(StandardCharsets.UTF_8);
        byte[] sig = ed.sign(msg);
        Path verifierDir = Files.createDirectories(dir.resolve("verifier"));
        Files.copy(dir.resolve("signer").resolve(ed.keyId() + ".ed25519.pub"), verifierDir.resolve(ed.keyId() + ".ed25519.pub"));
        KeyDirectory verifier = KeyDirectory.open(verifierDir);
        WarrantKey pub = verifier.key(ed.keyId()).orElseThrow();
        assertFalse(pub.canSign());
        assertTrue(pub.verify(msg, sig));
        sig[0] ^= 1;
        assertFalse(pub.verify(msg, sig));
        assertThrows(IllegalStateException.class, () -> verifier.signingKey(SignatureAlgorithm.ED25519));
    }

    @Test
    void secretReadableByOthersIsRefused() throws Exception {
        KeyDirectory keys = KeyDirectory.openOrCreate(dir);
        Path secret = dir.resolve(keys.signingKey(SignatureAlgorithm.HMAC_SHA256).keyId() + ".hmac-sha256.key");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KeyDirectory.open(dir));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void secretsNeverAppearInStringsOrErrors() throws Exception {
        KeyDirectory keys = KeyDirectory.openOrCreate(dir);
        WarrantKey hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        Path secretFile = dir.resolve(hmac.keyId() + ".hmac-sha256.key");
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
        KeyDirectory keys = KeyDirectory.openOrCreate(dir);
        for (SignatureAlgorithm a : SignatureAlgorithm.values()) {
            WarrantKey k = keys.signingKey(a);
            assertFalse(k.verify(new byte[]{1}, new byte[0]));
            assertFalse(k.verify(new byte[]{1}, new byte[3]));
            assertFalse(k.verify(new byte[]{1}, null));
        }
    }
}
