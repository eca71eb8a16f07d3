package dev.magistrate.console.chat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat file is read strictly: every mistake is located, and no secret is ever quoted. */
class ChatConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void secrets() throws Exception {
        Files.writeString(dir.resolve("token"), "xoxb-very-secret\n");
        Files.writeString(dir.resolve("signing"), "signing-very-secret\n");
        Files.writeString(dir.resolve("teams"), "not base64 at all!\n");
        Files.writeString(dir.resolve("empty"), "  \n");
    }

    private ChatConfigException error(String yaml) {
        return assertThrows(ChatConfigException.class, () -> ChatConfig.parse(dir.resolve("chat.yaml"), yaml));
    }

    private static final String SLACK = "slack: {bot_token_file: token, signing_secret_file: signing}\n";

    @Test
    void aMinimalSlackFileLoadsWithTheDefaults() {
        ChatConfig c = ChatConfig.parse(dir.resolve("chat.yaml"), "console_url: http://127.0.0.1:8080\n" + SLACK + "routes: [{slack: C1}]\n");
        assertEquals(ChatConfig.SLACK_API, c.slack().apiUrl());
        assertEquals(0.5, c.escalation().after());
        assertFalse(c.toString().contains("very-secret"), c.toString());
    }

    @Test
    void mistakesAreLocatedByLineColumnAndField() {
        ChatConfigException e = error("console_url: https://x.example\n" + SLACK + "routes:\n  - {tiers: [T2], slak: C1}\n");
        assertEquals(4, e.line());
        assertEquals("routes[0].slak", e.field());
        assertTrue(e.getMessage().contains("unknown field (expected tiers, roles, slack, teams, webhook)"), e.getMessage());

        e = error("console_url: https://x.example\nroutes: [{slack: C1}]\n");
        assertEquals("routes[0].slack", e.field());
        assertTrue(e.getMessage().contains("there is no 'slack' section"), e.getMessage());

        e = error("console_url: https://x.example\n" + SLACK + "routes: [{tiers: [T2]}]\n");
        assertTrue(e.getMessage().contains("routes[0]: goes nowhere"), e.getMessage());

        e = error("console_url: ftp://x.example\n" + SLACK + "routes: []\n");
        assertEquals("console_url", e.field());

        e = error(SLACK + "routes: []\n");
        assertTrue(e.getMessage().contains("console_url: missing"), e.getMessage());

        e = error("console_url: https://x.example\n" + SLACK + "routes: []\nescalation: {after: 1.5}\n");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("escalation.after: must be between 0 and 1"), e.getMessage());

        e = error("console_url: https://x.example\nconsole_url: https://y.example\nroutes: []\n");
        assertEquals(2, e.line());
    }

    @Test
    void secretsComeFromReadableNonEmptyFilesAndAreNeverQuoted() {
        ChatConfigException e = error("console_url: https://x.example\nslack: {bot_token_file: missing, signing_secret_file: signing}\nroutes: []\n");
        assertEquals("slack.bot_token_file", e.field());
        assertTrue(e.getMessage().contains("cannot read " + dir.resolve("missing")), e.getMessage());

        e = error("console_url: https://x.example\nslack: {bot_token_file: empty, signing_secret_file: signing}\nroutes: []\n");
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());

        e = error("console_url: https://x.example\nteams: {channels: {ops: https://t.example/hook}, hmac_secret_file: teams}\nroutes: []\n");
        assertEquals("teams.hmac_secret_file", e.field());
        assertFalse(e.getMessage().contains("not base64 at all"), "the file's contents are never quoted: " + e.getMessage());

        e = error("console_url: https://x.example\nslack: {bot_token_file: token}\nroutes: []\n");
        assertEquals("slack.signing_secret_file", e.field());
        assertFalse(e.getMessage().contains("very-secret"), e.getMessage());
    }

    @Test
    void notYamlIsLocatedToo() {
        ChatConfigException e = error("console_url: \"unterminated\nroutes: []\n");
        assertTrue(e.line() >= 1 && e.getMessage().contains("not valid YAML"), e.getMessage());
    }
}
