package dev.magistrate.governor;

import dev.magistrate.policy.Window;

import java.util.Arrays;

/**
 * One window's running total for one agent (or for all): a ring of {@link Window#BUCKETS} + 1 fixed
 * buckets of {@link Window#bucketMillis()} each, and their sum kept beside them, so reading the total
 * costs one comparison while time stays in the same bucket, and moving on clears only the buckets it
 * passes. Amounts are millionths ({@link Window#SCALE}), exact. A call stays counted for at least the
 * window's length and at most one bucket longer: a budget errs towards spent, never towards fresh.
 * The fleet service keeps the same rings in PostgreSQL rows ({@link #restore}, {@link #head}, {@link #amounts}).
 */
public final class SlidingWindow {

    /** The number of buckets in the ring. */
    public static final int SLOTS = Window.BUCKETS + 1;
    private static final long NONE = Long.MIN_VALUE;

    private final long bucketMillis;
    private final long[] amounts = new long[SLOTS];
    private long head = NONE; // the newest bucket the ring holds; it holds head - SLOTS + 1 .. head
    private long total;

    public SlidingWindow(long bucketMillis) {
        this.bucketMillis = bucketMillis;
    }

    /** A ring as {@link #head}, {@link #total} and {@link #amounts} stored it (head null: empty). */
    public static SlidingWindow restore(long bucketMillis, Long head, long total, long[] amounts) {
        SlidingWindow w = new SlidingWindow(bucketMillis);
        if (head != null && amounts.length == SLOTS) {
            w.head = head;
            w.total = total;
            System.arraycopy(amounts, 0, w.amounts, 0, SLOTS);
        }
        return w;
    }

    /** The newest bucket the ring holds, for storing it; null when empty. */
    public synchronized Long head() {
        return head == NONE ? null : head;
    }

    /** The sum as stored beside the buckets (not advanced to a time), for storing it. */
    public synchronized long storedTotal() {
        return total;
    }

    /** A copy of the buckets, slot by slot, for storing them. */
    public synchronized long[] amounts() {
        return amounts.clone();
    }

    /** Adds (or, negative, takes back) an amount at a time; a time already out of the ring changes nothing. */
    public synchronized void add(long atMillis, long millionths) {
        long bucket = Math.floorDiv(atMillis, bucketMillis);
        advance(bucket);
        if (bucket <= head - SLOTS) return;
        int slot = (int) Math.floorMod(bucket, (long) SLOTS);
        amounts[slot] = saturatedAdd(amounts[slot], millionths);
        total = saturatedAdd(total, millionths);
    }

    /** The sum of the buckets that still count at this time. */
    public synchronized long total(long nowMillis) {
        advance(Math.floorDiv(nowMillis, bucketMillis));
        return total;
    }

    /** When the oldest amount still counted stops counting, and how much it is; null when nothing counts. */
    public synchronized long[] nextRelease(long nowMillis) {
        advance(Math.floorDiv(nowMillis, bucketMillis));
        for (long b = head - SLOTS + 1; b <= head; b++) {
            long amount = amounts[(int) Math.floorMod(b, (long) SLOTS)];
            if (amount != 0) return new long[]{(b + SLOTS) * bucketMillis, amount};
        }
        return null;
    }

    private void advance(long bucket) {
        if (head != NONE && bucket <= head) return;
        if (head == NONE || bucket - head >= SLOTS) {
            Arrays.fill(amounts, 0);
            total = 0;
        } else {
            for (long b = head + 1; b <= bucket; b++) {
                int slot = (int) Math.floorMod(b, (long) SLOTS);
                total -= amounts[slot];
                amounts[slot] = 0;
            }
        }
        head = bucket;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        return r;
    }
}
