package dev.magistrate.approval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApproverDirectoryTest {

    @TempDir
    Path dir;

    private ApproverDirectoryException bad(String yaml) throws Exception {
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, yaml);
        return assertThrows(ApproverDirectoryException.class, () -> ApproverDirectory.load(file));
    }

    @Test
    void loadsApproversWithRolesAndSecrets() throws Exception {
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, """
                approvers:
                  - id: alice
                    name: Alice Martin
                    roles: [senior_dev, devops]
                    totp_secret: JBSWY3DPEHPK3PXPJBSWY3DP
                  - id: bob
                    roles: cfo
                """);
        ApproverDirectory d = ApproverDirectory.load(file);
        assertEquals(2, d.size());
        Approver alice = d.find("alice").orElseThrow();
        assertEquals("Alice Martin", alice.displayName());
        assertEquals(List.of("senior_dev", "devops"), List.copyOf(alice.roles()));
        assertTrue(alice.hasTotp());
        assertFalse(alice.toString().contains("JBSW"), "toString never shows the secret");
        Approver bob = d.find("bob").orElseThrow();
        assertEquals("bob", bob.displayName());
        assertFalse(bob.hasTotp());
        assertTrue(d.find("carol").isEmpty());
    }

    @Test
    void errorsNameFileLineAndField() throws Exception {
        ApproverDirectoryException e = bad("""
                approvers:
                  - id: alice
                    roles: [devops]
                  - id: bob
                    rolez: [cfo]
                """);
        assertEquals(5, e.line());
        assertEquals("approvers[1].rolez", e.field());
        assertTrue(e.getMessage().startsWith(dir.resolve("approvers.yaml") + ":5:"), e.getMessage());

        e = bad("""
                approvers:
                  - name: Nobody
                    roles: [x]
                """);
        assertEquals(2, e.line());
        assertEquals("approvers[0].id", e.field());

        e = bad("""
                approvers:
                  - id: alice
                  - id: alice
                """);
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("already defined at line 2"), e.getMessage());

        e = bad("""
                approvers:
                  - id: carol
                    totp_secret: "not*base32!SECRETSECRET"
                """);
        assertEquals(3, e.line());
        assertEquals("approvers[0].totp_secret", e.field());
        assertFalse(e.getMessage().contains("SECRETSECRET"), "the secret's text never reaches the message: " + e.getMessage());

        e = bad("""
                approvers:
                  - id: dave
                    totp_secret: JBSWY3DP
                """);
        assertTrue(e.getMessage().contains("too short"), e.getMessage());

        e = bad("""
                approvers:
                  - id: eve
                    roles: {a: 1}
                """);
        assertEquals("approvers[0].roles", e.field());

        e = bad("""
                approvers:
                  - id: frank
                    roles: [devops]
                    roles: [cfo]
                """);
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("given twice"), e.getMessage());

        e = bad("approvers: [\n  - id: x\n");
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());

        e = bad("people: []\n");
        assertEquals(1, e.line());
        assertEquals("people", e.field());
    }

    @Test
    void backendsAreFoundByNameThroughServiceLoader() {
        assertTrue(ApprovalBackends.available().containsAll(List.of("programmatic", "auto")), ApprovalBackends.available().toString());
        assertTrue(ApprovalBackends.create("programmatic", Map.of()) instanceof ProgrammaticApprovalBackend);
        assertTrue(ApprovalBackends.create("auto", Map.of()).automatic());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApprovalBackends.create("pager", Map.of()));
        assertTrue(e.getMessage().contains("programmatic") && e.getMessage().contains("pager"), e.getMessage());
    }

    @Test
    void loadsPasswordHashesAndChatUsers() throws Exception {
        String hash = PasswordHash.create("correct horse battery".toCharArray());
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, """
                approvers:
                  - id: alice
                    roles: [sre]
                    password_hash: %s
                    slack_user: U024BE7LH
                    teams_user: 29:1a2b
                  - id: bob
                    roles: [sre]
                """.formatted(hash));
        ApproverDirectory d = ApproverDirectory.load(file);
        Approver alice = d.find("alice").orElseThrow();
        assertTrue(alice.hasPassword());
        assertTrue(alice.passwordMatches("correct horse battery".toCharArray()));
        assertFalse(alice.passwordMatches("correct horse batterY".toCharArray()));
        assertFalse(d.find("bob").orElseThrow().passwordMatches("correct horse battery".toCharArray()), "no password set, none matches");
        assertEquals("alice", d.findByChatUser("slack", "U024BE7LH").orElseThrow().id());
        assertEquals("alice", d.findByChatUser("teams", "29:1a2b").orElseThrow().id());
        assertTrue(d.findByChatUser("slack", "U999").isEmpty());
        assertFalse(alice.toString().contains(hash.substring(30)), "toString never shows the hash");
    }

    @Test
    void findsTheOwnerOfAPersonalToken() throws Exception {
        String token = ApproverToken.mint();
        Path file = dir.resolve("approvers.yaml");
        Files.writeString(file, """
                approvers:
                  - id: alice
                    token_sha256: %s
                  - id: bob
                    token_sha256: %s
                """.formatted(ApproverToken.sha256Hex(ApproverToken.mint()), ApproverToken.sha256Hex(token)));
        ApproverDirectory d = ApproverDirectory.load(file);
        assertEquals("bob", d.findByToken(token).orElseThrow().id());
        assertTrue(d.findByToken(ApproverToken.mint()).isEmpty());
    }

    @Test
    void aBadPasswordHashOrADoubleMappedChatUserNamesLineAndField() throws Exception {
        ApproverDirectoryException e = bad("""
                approvers:
                  - id: alice
                    password_hash: hunter2hunter2
                """);
        assertEquals(3, e.line());
        assertEquals("approvers[0].password_hash", e.field());
        assertTrue(e.getMessage().contains("Argon2id PHC string"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), "the value is never quoted");
        e = bad("""
                approvers:
                  - id: alice
                    slack_user: U1
                  - id: bob
                    slack_user: U1
                """);
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("already mapped by approvers[0].slack_user"), e.getMessage());
        e = bad("""
                approvers:
                  - id: alice
                    password_hash: $argon2id$v=19$m=4000000,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo
                """);
        assertTrue(e.getMessage().contains("outside"), "a crafted cost is refused: " + e.getMessage());
    }
}
