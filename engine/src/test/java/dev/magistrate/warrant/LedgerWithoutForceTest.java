package dev.magistrate.warrant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without a force per consumption the line is still written before consume returns, so a restart still refuses a replay. */
class LedgerWithoutForceTest {

    @Test
    void consumptionIsWrittenBeforeConsumeReturnsAndSurvivesAReopen(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("consumed-warrants.log");
        Instant expires = Instant.now().plusSeconds(60);
        try (ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(file, Clock.systemUTC(), false)) {
            assertTrue(ledger.consume("w-1", expires));
            assertTrue(Files.readString(file).contains("w-1\t" + expires.toEpochMilli() + "\n"), "on file before consume returned");
            assertFalse(ledger.consume("w-1", expires));
        }
        try (ConsumedWarrantLedger reopened = ConsumedWarrantLedger.open(file, Clock.systemUTC(), false)) {
            assertTrue(reopened.isConsumed("w-1"));
            assertFalse(reopened.consume("w-1", expires), "a replay after a restart is refused");
        }
    }
}
