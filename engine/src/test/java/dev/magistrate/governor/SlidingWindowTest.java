package dev.magistrate.governor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The ring of buckets behind a window: 60 buckets of a minute plus the current one, for a window of an hour. */
class SlidingWindowTest {

    static final long MINUTE = 60_000;

    @Test
    void anAmountCountsForTheWindowAndAtMostOneBucketLonger() {
        SlidingWindow w = new SlidingWindow(MINUTE);
        w.add(10 * MINUTE + 30_000, 5); // 00:10:30
        assertEquals(5, w.total(10 * MINUTE + 30_000));
        assertEquals(5, w.total(70 * MINUTE + 29_000), "an hour later it still counts");
        assertEquals(5, w.total(70 * MINUTE + 59_999), "up to the end of its bucket's hour and one bucket");
        assertEquals(0, w.total(71 * MINUTE), "then it is gone");
    }

    @Test
    void theTotalFollowsAddsReleasesAndLongGaps() {
        SlidingWindow w = new SlidingWindow(MINUTE);
        for (int m = 0; m < 120; m++) w.add(m * MINUTE, 1);
        assertEquals(61, w.total(119 * MINUTE), "one a minute: the last 61 buckets");
        w.add(119 * MINUTE, -1);
        assertEquals(60, w.total(119 * MINUTE), "a release takes back from its bucket");
        w.add(30 * MINUTE, 100);
        assertEquals(60, w.total(119 * MINUTE), "an amount already out of the ring changes nothing");
        assertArrayEquals(new long[]{120 * MINUTE, 1}, w.nextRelease(119 * MINUTE), "minute 59 frees at minute 120");
        assertEquals(0, w.total(10_000 * MINUTE), "a gap longer than the ring clears it");
        assertNull(w.nextRelease(10_000 * MINUTE));
        w.add(10_000 * MINUTE, Long.MAX_VALUE);
        w.add(10_000 * MINUTE, 1);
        assertEquals(Long.MAX_VALUE, w.total(10_000 * MINUTE), "saturates instead of wrapping to a negative total");
    }
}
