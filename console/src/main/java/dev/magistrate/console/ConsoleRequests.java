package dev.magistrate.console;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The requests the console holds, in arrival order: every pending one, and the last {@link #KEEP_ENDED} that ended (for
 * the JSON API's show and the history page). Thread-safe.
 */
final class ConsoleRequests {

    static final int KEEP_ENDED = 500;

    private final Map<String, RequestRecord> byIntent = new LinkedHashMap<>();

    synchronized void add(RequestRecord r) {
        byIntent.put(r.intentId(), r);
        if (byIntent.size() > KEEP_ENDED * 2) prune();
    }

    private void prune() {
        int ended = 0;
        for (RequestRecord r : byIntent.values()) if (!r.pending()) ended++;
        Iterator<RequestRecord> it = byIntent.values().iterator();
        while (ended > KEEP_ENDED && it.hasNext()) {
            if (!it.next().pending()) {
                it.remove();
                ended--;
            }
        }
    }

    synchronized RequestRecord get(String intentId) {
        return byIntent.get(intentId);
    }

    synchronized boolean holds(String intentId) {
        return byIntent.containsKey(intentId);
    }

    /** The pending requests, oldest first. */
    synchronized List<RequestRecord> pending() {
        List<RequestRecord> out = new ArrayList<>();
        for (RequestRecord r : byIntent.values()) if (r.pending()) out.add(r);
        return out;
    }

    /** The ended requests, most recently ended first, at most {@code limit}. */
    synchronized List<RequestRecord> ended(int limit) {
        List<RequestRecord> out = new ArrayList<>();
        for (RequestRecord r : byIntent.values()) if (!r.pending()) out.add(r);
        out.sort((a, b) -> b.ended().compareTo(a.ended()));
        return out.size() > limit ? out.subList(0, limit) : out;
    }
}
