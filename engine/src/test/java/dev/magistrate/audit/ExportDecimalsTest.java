package dev.magistrate.audit;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** An exported warrant keeps its numbers exactly as signed, or it would not verify offline. */
class ExportDecimalsTest {

    @Test
    void decimalsInAnExportedWarrantAreNotRoundedThroughDoubles() {
        String warrant = "{\"warrant_id\":\"w1\",\"execution\":{\"constraints\":[{\"argument\":\"amount\",\"op\":\"max\",\"bound\":0.1}]},\"n\":1.10}";
        AuditEvent e = AuditEvent.of(AuditEventType.WARRANT_ISSUED, "i1", Instant.parse("2026-11-24T03:00:00Z"),
                "warrant_id", "w1", "warrant", warrant);
        String line = JsonLinesExporter.line(new CanonicalEntry.Decoded(0, CanonicalEntry.NO_PREVIOUS, e));
        assertTrue(line.contains("\"bound\":0.1}"), line);
        assertTrue(line.contains("\"n\":1.10"), line);
    }
}
