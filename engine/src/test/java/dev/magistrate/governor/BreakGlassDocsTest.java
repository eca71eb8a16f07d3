package dev.magistrate.governor;

import dev.magistrate.policy.BreakGlassPolicy;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy in docs/approvals.md, "Break-glass", loads as written and says what the text around it says. */
class BreakGlassDocsTest {

    @Test
    void theDocumentedSectionLoadsWithItsNeverRule() throws Exception {
        String page = Files.readString(Path.of("../docs/approvals.md"));
        int section = page.indexOf("\n## Break-glass\n");
        assertTrue(section >= 0, "docs/approvals.md has a Break-glass section");
        int start = page.indexOf("```yaml\n", section) + "```yaml\n".length();
        String yaml = page.substring(start, page.indexOf("```", start));

        PolicySet set = PolicyLoader.parse("approvals.md", yaml);
        BreakGlassPolicy bg = set.breakGlass();
        assertEquals(List.of("incident_commander"), bg.roles());
        assertEquals(3, bg.maxUses());
        assertEquals(Duration.ofMinutes(30), bg.maxDuration());
        assertEquals(Set.of("compliance tables are append-only"), bg.neverRules());
    }
}
