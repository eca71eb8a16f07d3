package dev.magistrate.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A reader that wants some types gets those entries, in order, from a real log, and the others are skipped. */
class AuditLogReaderTest {

    @TempDir
    Path dir;

    @Test
    void aReaderThatWantsSomeTypesGetsThoseInOrderAndSkipsTheRest() {
        List<String> votes = new ArrayList<>();
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir))) {
            for (long n = 0; n < 300; n++) {
                log.append(AuditTestSupport.event(n));
                if (n % 7 == 0) {
                    log.append(AuditEvent.of(AuditEventType.VOTE, "intent-" + n, Instant.parse("2026-11-24T10:00:00Z").plusMillis(n),
                            "approver", "alice", "accepted", true));
                    votes.add("intent-" + n);
                }
            }
        }
        List<String> read = new ArrayList<>();
        int all = 0;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry(type -> type == AuditEventType.VOTE)) != null) {
                assertEquals(AuditEventType.VOTE, d.event().type());
                read.add(d.event().intentId());
            }
        }
        assertEquals(votes, read);
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            while (reader.nextEntry() != null) all++;
        }
        assertEquals(300 + votes.size(), all, "unfiltered, every entry");
    }
}
