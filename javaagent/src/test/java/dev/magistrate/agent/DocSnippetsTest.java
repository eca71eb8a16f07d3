package dev.magistrate.agent;

import dev.magistrate.agent.internal.AgentConfig;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyRequest;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every YAML snippet in the README and docs/ is loaded by the loader it is written for: a policy, an approver
 * directory or an agent configuration. A snippet none of them takes fails the test, so documentation cannot show
 * a file the product would refuse (or, worse, accept and ignore). Output and other text go in plain fences.
 */
class DocSnippetsTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final java.util.Set<String> CHAT_KEYS = java.util.Set.of("console_url", "slack", "teams", "webhook", "routes", "escalation");

    @TempDir
    Path dir;

    /** {@code yaml} is padded with blank lines above it, so errors give the line in the Markdown file itself. */
    record Snippet(Path file, int line, String yaml) {
        String name() {
            return ROOT.relativize(file).toString();
        }

        String where() {
            return name() + ":" + line;
        }
    }

    @TestFactory
    Stream<DynamicTest> everyYamlSnippetLoads() throws IOException {
        List<Snippet> snippets = new ArrayList<>(snippets(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            for (Path f : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) snippets.addAll(snippets(f));
        }
        assertFalse(snippets.isEmpty(), "the docs have YAML snippets");
        return snippets.stream().map(s -> DynamicTest.dynamicTest(s.where(), () -> load(s)));
    }

    private void load(Snippet s) throws IOException {
        String firstKey = s.yaml().lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElse("");
        if (firstKey.startsWith("approvers:")) {
            ApproverDirectory.parse(Path.of(s.name()), s.yaml());
        } else if (CHAT_KEYS.contains(firstKey.split(":", 2)[0])) {
            // A chat file names secret files that must exist; console's ChatConfigDocsTest loads these with them in place.
            assertEquals("docs/approvals.md", s.name(), s.where() + ": chat configuration is documented (and loaded by ChatConfigDocsTest) in docs/approvals.md");
        } else if (s.yaml().lines().anyMatch(l -> l.startsWith("policies:"))) {
            PolicyCompiler.compile(PolicyLoader.parse(s.name(), s.yaml()));
        } else if (s.yaml().lines().anyMatch(l -> l.startsWith("# magistrate.yaml"))) {
            Path file = dir.resolve("magistrate.yaml");
            Files.writeString(file, s.yaml());
            AgentConfig.load("config=magistrate.yaml", Map.of(), Map.of(), dir).settings();
        } else {
            fail(s.where() + ": a YAML snippet no loader takes (a policy has 'policies:', an approver directory starts with "
                    + "'approvers:', an agent configuration starts with '# magistrate.yaml'); text that is not a file goes in a plain fence");
        }
    }

    static List<Snippet> snippets(Path file) throws IOException {
        List<Snippet> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```yaml")) continue;
            int start = i + 1;
            StringBuilder sb = new StringBuilder("\n".repeat(start));
            for (i = start; i < lines.size() && !lines.get(i).strip().equals("```"); i++) sb.append(lines.get(i)).append('\n');
            out.add(new Snippet(file, start + 1, sb.toString()));
        }
        return out;
    }

    /** The README's first policy means what its prose says: a call that declares a cost over 5,000 is T3 (it once read an argument instead). */
    @Test
    void theReadmePolicyEscalatesACallThatDeclaresItsCost() throws IOException {
        Snippet readme = snippets(ROOT.resolve("README.md")).stream().filter(s -> s.yaml().contains("High-Cost Infrastructure")).findFirst()
                .orElseThrow(() -> new AssertionError("the README's example policy has a 'High-Cost Infrastructure' rule"));
        CompiledPolicy policy = PolicyCompiler.compile(PolicyLoader.parse(readme.name(), readme.yaml()));
        Decision d = policy.decide(PolicyRequest.builder("scale_service").cost(6000).build());
        assertEquals(Tier.T3, d.tier(), d.explain());
        assertTrue(d.matchedRules().contains("High-Cost Infrastructure"), d.explain());
        Decision cheap = policy.decide(PolicyRequest.builder("scale_service").cost(100).build());
        assertFalse(cheap.matchedRules().contains("High-Cost Infrastructure"), cheap.explain());
    }
}
