package dev.magistrate.console.chat;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the signatures of accepted callbacks for as long as their timestamps are fresh, so the same signed
 * request cannot count twice. Older requests are refused as stale anyway, so a signature is forgotten when its
 * window ends. Memory is bounded: at most {@code capacity} signatures; when that many fresh ones are held, new
 * callbacks are refused (fail closed) until some expire. Only correctly signed requests reach it, so only the
 * chat service itself could fill it.
 */
final class ReplayGuard {

    enum Outcome { FIRST, REPLAY, FULL }

    private final Duration window;
    private final int capacity;
    /** Signature → when it may be forgotten; insertion order is close to expiry order. */
    private final Map<String, Instant> seen = new LinkedHashMap<>();

    ReplayGuard(Duration window, int capacity) {
        this.window = window;
        this.capacity = capacity;
    }

    /** Records a signature whose request carried {@code signedAt}. */
    synchronized Outcome check(String signature, Instant signedAt, Instant now) {
        Iterator<Instant> it = seen.values().iterator();
        while (it.hasNext()) {
            if (it.next().isBefore(now)) it.remove();
        }
        if (seen.containsKey(signature)) return Outcome.REPLAY;
        if (seen.size() >= capacity) return Outcome.FULL;
        Instant forgetAt = (signedAt.isAfter(now) ? signedAt : now).plus(window);
        seen.put(signature, forgetAt);
        return Outcome.FIRST;
    }

    synchronized int size() {
        return seen.size();
    }
}
