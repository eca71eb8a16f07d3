package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The examples of docs/policy-language.md, "Dynamic risk" and "Shadow rules", decide as their prose says. */
class DynamicRiskDocsTest {

    static String snippet(String section) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "policy-language.md"));
        int at = lines.indexOf("## " + section);
        if (at < 0) throw new AssertionError("no section '" + section + "'");
        List<String> yaml = new ArrayList<>();
        int i = at;
        while (!lines.get(i).strip().equals("```yaml")) i++;
        for (i++; !lines.get(i).strip().equals("```"); i++) yaml.add(lines.get(i));
        return String.join("\n", yaml) + "\n";
    }

    static Decision decide(String yaml, PolicyInput in) {
        PolicySet set = PolicyLoader.parse("doc.yaml", yaml);
        Decision d = PolicyCompiler.compile(set).decide(in);
        assertEquals(new ReferencePolicy(set).decide(in), d);
        return d;
    }

    @Test
    void theRaiseExampleDecidesAsDocumented() throws IOException {
        String yaml = snippet("Dynamic risk: raise_tier and signals");
        Instant sunday = Instant.parse("2026-11-29T10:00:00Z"), mondayAt10 = Instant.parse("2026-11-30T09:00:00Z");
        DynamicRiskTest.Call delete = DynamicRiskTest.Call.of(PolicyRequest.builder("delete_records").time(sunday).build());
        Decision d = decide(yaml, delete.signal("incident", 1L));
        assertEquals(Tier.T3, d.tier(), "T1 + 1 + 1");
        assertEquals(List.of("deletes", "outside business hours", "during an incident"), d.matchedRules());
        DynamicRiskTest.Call read = DynamicRiskTest.Call.of(PolicyRequest.builder("read").time(mondayAt10).build());
        assertEquals(Effect.ALLOW, decide(yaml, read).effect());
        assertEquals(Tier.T1, decide(yaml, read.signal("error_rate", new java.math.BigDecimal("0.07"))).tier());
        assertEquals(Tier.T2, decide(yaml, read.denials(3)).tier());
    }

    @Test
    void theShadowExampleDecidesAsDocumented() throws IOException {
        PolicySet set = PolicyLoader.parse("doc.yaml", snippet("Shadow rules and shadow policies"));
        PolicyRequest prod = PolicyRequest.builder("deploy").arg("environment", "production").build();
        assertEquals(Effect.APPROVE, PolicyCompiler.compile(set).decide(prod).effect(), "the live policy governs");
        assertEquals(Effect.DENY, PolicyCompiler.compile(set.shadowPolicy()).decide(prod).effect(), "the shadow would deny");
        PolicyRequest night = PolicyRequest.builder("scale_service").time(Instant.parse("2026-11-30T22:00:00Z")).build();
        assertEquals(Tier.T0, PolicyCompiler.compile(set).decide(night).tier());
        assertEquals(Tier.T1, PolicyCompiler.compile(set.shadowPolicy()).decide(night).tier());
        assertNull(set.shadowPolicy().shadowPolicy());
    }
}
