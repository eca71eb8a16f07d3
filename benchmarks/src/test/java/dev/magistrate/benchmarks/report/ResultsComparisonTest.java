package dev.magistrate.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run.sh --compare} on the committed JMH files: the same run compares equal, a slowed row is marked. */
class ResultsComparisonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path COMMITTED = Path.of("results");

    @TempDir
    Path dir;

    @Test
    void theCommittedRunAgainstItselfMarksNothing() throws Exception {
        ResultsComparison.Comparison c = ResultsComparison.compare(COMMITTED, COMMITTED);
        assertTrue(c.compared() > 20, c.text());
        assertEquals(0, c.slower(), c.text());
        assertEquals(0, c.faster(), c.text());
    }

    @Test
    void aGovernedCallTwiceAsSlowIsMarkedAndTheOthersAreNot() throws Exception {
        Path committed = Files.createDirectory(dir.resolve("committed")), now = Files.createDirectory(dir.resolve("now"));
        Files.copy(COMMITTED.resolve("governed.jmh.json"), committed.resolve("governed.jmh.json"));
        Files.copy(COMMITTED.resolve("audit.jmh.json"), committed.resolve("audit.jmh.json"));
        Files.copy(COMMITTED.resolve("audit.jmh.json"), now.resolve("audit.jmh.json"));
        ArrayNode governed = (ArrayNode) JSON.readTree(COMMITTED.resolve("governed.jmh.json").toFile());
        for (JsonNode b : governed) {
            if (!b.get("benchmark").asText().endsWith(".governedCall")) continue;
            ObjectNode primary = (ObjectNode) b.get("primaryMetric");
            primary.put("score", primary.get("score").asDouble() * 2);
            ObjectNode pct = (ObjectNode) primary.get("scorePercentiles");
            for (Map.Entry<String, JsonNode> e : pct.properties()) pct.put(e.getKey(), e.getValue().asDouble() * 2);
        }
        JSON.writeValue(now.resolve("governed.jmh.json").toFile(), governed);

        ResultsComparison.Comparison c = ResultsComparison.compare(committed, now);
        assertEquals(1, c.slower(), c.text());
        String line = c.text().lines().filter(l -> l.startsWith("GovernedCallBenchmark.governedCall")).findFirst().orElseThrow();
        assertTrue(line.contains("2.00x") && line.endsWith("slower"), line);
        assertTrue(c.text().lines().filter(l -> l.startsWith("AuditAppendBenchmark")).noneMatch(l -> l.contains("slower")), c.text());
    }
}
