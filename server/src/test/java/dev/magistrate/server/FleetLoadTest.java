package dev.magistrate.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A small run of the fleet load test ({@link FleetLoad}) in the build: correctness only, never timing. Its numbers are
 * printed for the curious; the measured full run (1,000 agents) is {@code FleetLoad.main}, documented in docs/fleet.md.
 */
class FleetLoadTest {

    @Test
    void everyIntentOfManyAgentsGetsExactlyOneFinalAnswerAndNoBudgetIsOverspent(@TempDir Path dir) throws Exception {
        FleetLoad.Result r = FleetLoad.run(dir, new FleetLoad.Settings(60, 10, Duration.ofMinutes(3), 8));
        r.print(System.out);
        assertEquals(List.of(), FleetLoad.check(r));
        assertEquals(600, r.answers().size());
    }
}
