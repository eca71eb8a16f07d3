package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Base64;

import static dev.magistrate.audit.AuditTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class CheckpointNoteTest {

    /**
     * The well-formed signed note of the golang.org/x/mod sumdb/note package documentation (note.go):
     * signer key PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz,
     * verifier key PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW. Ed25519 is
     * deterministic, so our signer must reproduce it byte for byte.
     */
    static final String GO_TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String GO_NOTE = GO_TEXT + "\n"
            + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    static CheckpointSigner peterNeumann() {
        byte[] typedSeed = Base64.getDecoder().decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
        assertEquals(1, typedSeed[0], "algorithm byte 0x01 = Ed25519");
        return CheckpointSigner.fromSeed("PeterNeumann", Arrays.copyOfRange(typedSeed, 1, 33));
    }

    @Test
    void signedNoteAndKeyIdMatchTheGoReference() throws Exception {
        CheckpointSigner signer = peterNeumann();
        assertEquals("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", signer.verifier().verifierKey());
        assertEquals(GO_NOTE, signer.signNote(GO_TEXT));
        assertEquals(GO_TEXT, signer.verifier().verifyNote(GO_NOTE));
        assertThrows(InvalidCheckpointException.class, () -> signer.verifier().verifyNote(GO_NOTE.replace("cryptography", "cryptographY")));
    }

    @Test
    void checkpointNoteHasTheC2spShapeAndVerifies() throws Exception {
        CheckpointSigner signer = signer();
        Checkpoint cp = new Checkpoint(ORIGIN, 42, MerkleTree.leafHash(new byte[0]));
        String note = signer.sign(cp);
        String[] lines = note.split("\n", -1);
        assertEquals(ORIGIN, lines[0]);
        assertEquals("42", lines[1]);
        assertEquals("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", lines[2]);
        assertEquals("", lines[3]);
        assertTrue(lines[4].startsWith("\u2014 " + KEY_NAME + " "));
        byte[] blob = Base64.getDecoder().decode(lines[4].substring(("\u2014 " + KEY_NAME + " ").length()));
        assertEquals(4 + 64, blob.length);
        assertArrayEquals(signer.verifier().keyId(), Arrays.copyOf(blob, 4));
        assertEquals("", lines[5]);
        assertEquals(cp, signer.verifier().verify(note));
    }

    @Test
    void anyChangeToACheckpointNoteIsRejected() {
        CheckpointVerifier v = signer().verifier();
        String note = signer().sign(new Checkpoint(ORIGIN, 7, MerkleTree.leafHash(new byte[]{1})));
        assertThrows(InvalidCheckpointException.class, () -> v.verify(note.replace("\n7\n", "\n8\n")), "size changed");
        assertThrows(InvalidCheckpointException.class, () -> v.verify(note.replace(ORIGIN, ORIGIN + "x")), "origin changed");
        assertThrows(InvalidCheckpointException.class, () -> v.verify(note.substring(0, note.length() - 1)), "no final newline");
        assertThrows(InvalidCheckpointException.class, () -> v.verify(note.replace("\n\n", "\n")), "no blank line");
        CheckpointVerifier otherKey = CheckpointSigner.fromSeed(KEY_NAME, seed("other")).verifier();
        InvalidCheckpointException e = assertThrows(InvalidCheckpointException.class, () -> otherKey.verify(note));
        assertTrue(e.getMessage().contains("no signature by a trusted key"), e.getMessage());
        CheckpointVerifier otherName = CheckpointSigner.fromSeed("someone-else", seed("magistrate test audit key")).verifier();
        assertThrows(InvalidCheckpointException.class, () -> otherName.verify(note));
    }

    @Test
    void signaturesOfOtherKeysAreIgnoredButOneOfOursIsRequired() throws Exception {
        CheckpointSigner ours = signer();
        CheckpointSigner witness = CheckpointSigner.fromSeed("witness.example", seed("witness"));
        Checkpoint cp = new Checkpoint(ORIGIN, 3, MerkleTree.leafHash(new byte[]{3}));
        String note = ours.sign(cp);
        String witnessLine = witness.sign(cp).substring(cp.body().length() + 1);
        assertEquals(cp, ours.verifier().verify(note + witnessLine));
        assertEquals(cp, witness.verifier().verify(note + witnessLine));
    }

    @Test
    void badKeysAndNamesAreRefusedClearly() {
        assertThrows(IllegalArgumentException.class, () -> CheckpointSigner.fromSeed(KEY_NAME, new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> CheckpointSigner.fromSeed("has space", new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> CheckpointSigner.fromSeed("a+b", new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointVerifier(KEY_NAME, new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("", 1, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("o", -1, new byte[32]));
        assertFalse(signer().toString().contains("PRIVATE"), "the signer's string form shows no key material");
    }
}
