package dev.magistrate.intent;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter, then random
 * bits. The counter keeps ids from one process strictly increasing even within a millisecond,
 * so sorting ids sorts intents by submission. The random bits only keep ids of different processes
 * apart; nothing relies on them being unpredictable (warrants are protected by their signature),
 * so a fast generator serves, where SecureRandom would cost about a microsecond per id.
 */
public final class TimeOrderedId {

    /** Last issued (millis << 12 | counter); advancing it atomically makes ids monotonic. */
    private static final AtomicLong LAST = new AtomicLong();

    private TimeOrderedId() {
    }

    public static String next() {
        long now = System.currentTimeMillis() << 12;
        long stamp = LAST.updateAndGet(last -> Math.max(last + 1, now));
        long millis = stamp >>> 12;
        long counter = stamp & 0xFFF;
        long msb = (millis << 16) | (0x7L << 12) | counter;
        long lsb = (ThreadLocalRandom.current().nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
