package dev.magistrate.cli;

import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.approval.Totp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** approvers token, password and totp-code: each prints what the directory or the approver needs, and never a secret it was given. */
class ApproversCommandTest {

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void mintsATokenWhoseHashLineTheDirectoryAcceptsAndMatches(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, "approvers:\n  - id: alice\n    roles: [sre]\n");
        Run r = run("approvers", "token", "--approvers", file.toString(), "--id", "alice");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        String token = lines[1].strip();
        assertTrue(token.matches("mgt_[A-Za-z0-9_-]{43}"), token);
        String hashLine = r.out().lines().filter(l -> l.strip().startsWith("token_sha256: ")).findFirst().orElseThrow().strip();
        Files.writeString(file, "approvers:\n  - id: alice\n    roles: [sre]\n    " + hashLine + "\n");
        var alice = ApproverDirectory.load(file).find("alice").orElseThrow();
        assertTrue(alice.tokenMatches(token));
        assertFalse(alice.tokenMatches(token + "x"));
        assertFalse(Files.readString(file).contains(token), "the file holds only the hash");

        Run again = run("approvers", "token", "--approvers", file.toString(), "--id", "alice");
        assertNotEquals(token, again.out().split("\n")[1].strip(), "each token is fresh");
        assertTrue(again.out().contains("revokes the old token"), again.out());
    }

    @Test
    void badInputNamesTheOption(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, "approvers:\n  - id: alice\n    roles: [sre]\n");
        Run unknown = run("approvers", "token", "--approvers", file.toString(), "--id", "mallory");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--id: no approver 'mallory'") && unknown.err().contains("known: alice"), unknown.err());
        Run missing = run("approvers", "token", "--approvers", dir.resolve("nope.yaml").toString(), "--id", "alice");
        assertTrue(missing.err().contains("--approvers: no such file"), missing.err());
        Files.writeString(file, "approvers:\n  - id: alice\n    token_sha256: abc\n");
        Run bad = run("approvers", "token", "--approvers", file.toString(), "--id", "alice");
        assertTrue(bad.err().contains("approvers[0].token_sha256: must be 64 hex digits"), bad.err());
    }

    @Test
    void passwordFromStdinPrintsAnArgon2idHashLineTheDirectoryAcceptsAndNeverThePassword(@TempDir Path dir) throws Exception {
        String password = "correct horse battery staple";
        Run r = withStdin(password + "\n", "approvers", "password", "--stdin");
        assertEquals(0, r.status(), r.err());
        assertFalse(r.out().contains(password) || r.err().contains(password), "never echoed");
        String hashLine = r.out().lines().filter(l -> l.strip().startsWith("password_hash: ")).findFirst().orElseThrow().strip();
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, "approvers:\n  - id: alice\n    roles: [sre]\n    " + hashLine + "\n");
        var alice = ApproverDirectory.load(file).find("alice").orElseThrow();
        assertTrue(alice.passwordMatches(password.toCharArray()));
        assertFalse(alice.passwordMatches("correct horse battery stapler".toCharArray()));

        Run tooShort = withStdin("short\n", "approvers", "password", "--stdin");
        assertEquals(2, tooShort.status());
        assertTrue(tooShort.err().contains("at least 12 characters"), tooShort.err());
    }

    @Test
    void totpCodePrintsWhatAnAuthenticatorAppWouldShow(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("dana.totp");
        Files.writeString(secret, "# demo secret\nJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n");
        Instant before = Instant.now();
        Run r = run("approvers", "totp-code", "--secret-file", secret.toString());
        assertEquals(0, r.status(), r.err());
        String code = r.out().strip().split(" ")[0];
        byte[] key = Totp.decodeBase32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        assertTrue(code.equals(Totp.codeAt(key, before))
                || code.equals(Totp.codeAt(key, Instant.now())), r.out());
        Files.writeString(secret, "not base32!\n");
        assertEquals(2, run("approvers", "totp-code", "--secret-file", secret.toString()).status());
    }

    static Run withStdin(String input, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return run(args);
        } finally {
            System.setIn(saved);
        }
    }
}
