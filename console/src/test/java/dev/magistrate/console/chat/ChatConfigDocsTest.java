package dev.magistrate.console.chat;

import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat section of docs/approvals.md: its YAML loads as written, and the errors it shows are the ones the parser gives. */
class ChatConfigDocsTest {

    private static final Path DOC = Path.of("../docs/approvals.md");
    private static final String DOC_DIR = "/etc/magistrate";

    @TempDir
    Path dir;
    String section;
    List<String> yamlBlocks;

    @BeforeEach
    void read() throws Exception {
        String page = Files.readString(DOC);
        int start = page.indexOf("## Slack, Teams and webhooks");
        assertTrue(start >= 0, "docs/approvals.md has the chat section");
        int end = page.indexOf("\n## ", start + 1);
        section = page.substring(start, end < 0 ? page.length() : end);
        yamlBlocks = new ArrayList<>();
        for (int i = section.indexOf("```yaml\n"); i >= 0; i = section.indexOf("```yaml\n", i + 1)) {
            int from = i + "```yaml\n".length();
            yamlBlocks.add(section.substring(from, section.indexOf("```", from)));
        }
        assertEquals(2, yamlBlocks.size(), "the chat file and the approver mapping");
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        for (String name : List.of("slack-bot-token", "slack-signing-secret", "webhook-out")) Files.writeString(secrets.resolve(name), name + "-value\n");
        Files.writeString(secrets.resolve("webhook-in"), "another-value\n");
        Files.writeString(secrets.resolve("teams-outgoing-webhook"), "c2VjcmV0LWZyb20tdGVhbXM=\n");
    }

    @Test
    void theDocumentedChatFileLoadsAsWritten() {
        ChatConfig c = ChatConfig.parse(dir.resolve("chat.yaml"), yamlBlocks.get(0));
        assertEquals(URI.create("https://magistrate.example.com"), c.consoleUrl());
        assertEquals(ChatConfig.SLACK_API, c.slack().apiUrl());
        assertEquals("slack-bot-token-value", c.slack().botToken());
        assertEquals("secret-from-teams", new String(c.teams().hmacSecret()), "the Teams token is base64-decoded");
        assertEquals(Set.of("ops"), c.teams().channels().keySet());
        assertEquals(2, c.routes().size());
        assertEquals(List.of(new ChatConfig.Target("C0123OPS", "ops", false)), c.targetsFor(Tier.T2, Set.of("devops")));
        assertEquals(List.of(), c.targetsFor(Tier.T2, Set.of("cfo")), "a T2 for other roles goes nowhere (the console remains)");
        assertEquals(List.of(new ChatConfig.Target("C0456FINANCE", null, true)), c.targetsFor(Tier.T3, Set.of("cfo")));
        assertEquals(0.5, c.escalation().after());
        assertEquals(List.of("engineering_director"), c.escalation().roles());
        assertTrue(!c.toString().contains("value"), "no secret in toString: " + c);
    }

    @Test
    void theDocumentedApproverMappingLoads() {
        ApproverDirectory d = ApproverDirectory.parse(dir.resolve("approvers.yaml"), yamlBlocks.get(1));
        assertEquals("alice", d.findByChatUser("slack", "U024BE7LH").orElseThrow().id());
        assertEquals("alice", d.findByChatUser("teams", "8c1f5c1e-7f5b-4a5e-9d4f-0b1f0e6a2c3d").orElseThrow().id());
    }

    @Test
    void theDocumentedErrorsAreTheParsersOwn() throws Exception {
        String chat = yamlBlocks.get(0);
        List<String> actual = new ArrayList<>();
        actual.add(error(chat.replace("tiers: [T1, T2]", "tiers: [T1, T4]")));
        actual.add(error(chat.replace("teams: ops}", "teams: finance}")));
        Files.writeString(dir.resolve("secrets/webhook-in"), "webhook-out-value");
        actual.add(error(chat));
        List<String> missing = actual.stream().filter(line -> !section.contains(line)).toList();
        assertEquals(List.of(), missing, "docs/approvals.md shows these errors as the parser gives them");
    }

    private String error(String yaml) {
        ChatConfigException e = assertThrows(ChatConfigException.class, () -> ChatConfig.parse(dir.resolve("chat.yaml"), yaml));
        return e.getMessage().replace(dir.toString(), DOC_DIR);
    }
}
