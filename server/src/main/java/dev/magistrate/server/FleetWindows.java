package dev.magistrate.server;

import dev.magistrate.governor.SlidingWindow;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.ForwardingPolicyInput;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.Window;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The policy's windows as the service keeps them, in PostgreSQL for every replica ({@code V5__fleet_windows.sql}):
 * {@code count()}/{@code sum()} per agent, {@code count_fleet()}/{@code sum_fleet()} for the whole fleet. The engine's
 * semantics, kept exactly: counted are calls the policy let through (allowed, or waiting for approval: they hold their place),
 * reserved as they are decided; given back when they end without running (an approver denies, the request times out, the
 * warrant expires unused); final once the call starts. Each window and key is one row holding a ring of fixed buckets and
 * their total, as the engine's {@code SlidingWindow} holds them in memory: reading a window reads one row, never the calls.
 *
 * <p>Two replicas never both spend the last of a budget: a decision takes the rows of every window it may read with one
 * upsert, which locks them until its transaction ends, decides on those totals, and writes what it reserves in the same
 * transaction. Decisions reading the same row are so counted one after the other, across replicas. The rows are locked in
 * definition order, so two decisions never wait for each other in a cycle. (A condition is any expression, so there is no
 * single limit for an {@code UPDATE ... WHERE total + ? <= limit}; the lock makes the whole decision the conditional step.)
 * Times are the database's, so replicas with skewed clocks share buckets.
 */
final class FleetWindows {

    /** The key of a fleet window's one row. */
    static final String FLEET = "*";

    /**
     * Sorted by definition: the order rows are locked in, here and in {@link #giveBack}. Java's string order, which for
     * these texts (ASCII: definitions, agent ids) is PostgreSQL's {@code COLLATE "C"}, whatever the database's collation.
     */
    private final List<Window> windows;

    FleetWindows(List<Window> windows) {
        List<Window> sorted = new ArrayList<>(windows);
        sorted.sort(Comparator.comparing(Window::definition));
        this.windows = List.copyOf(sorted);
    }

    static String key(Window w, String agent) {
        return w.scope() == Window.Scope.FLEET ? FLEET : agent;
    }

    private static String id(String definition, String key) {
        return definition + '\u0000' + key;
    }

    /** One window's ring for one key, as stored: the engine's {@link SlidingWindow}, read from and written back to its row. */
    static final class Ring {
        final String definition;
        final String key;
        final long bucketMillis;
        private final SlidingWindow ring;
        private boolean changed;

        Ring(String definition, String key, long bucketMillis, Long head, long total, Long[] stored) {
            this.definition = definition;
            this.key = key;
            this.bucketMillis = bucketMillis;
            long[] amounts = new long[stored.length];
            for (int i = 0; i < stored.length; i++) amounts[i] = stored[i];
            this.ring = SlidingWindow.restore(bucketMillis, head, total, amounts);
        }

        long total(long nowMillis) {
            return ring.total(nowMillis);
        }

        /** Adds (or, negative, takes back) an amount at a time; a time already out of the ring changes nothing. */
        void add(long atMillis, long millionths) {
            ring.add(atMillis, millionths);
            changed = true;
        }

        /** When the oldest amount still counted stops counting, and how much it is; null when nothing counts. */
        long[] nextRelease(long nowMillis) {
            return ring.nextRelease(nowMillis);
        }

        void store(PreparedStatement ps, Connection c) throws SQLException {
            long[] amounts = ring.amounts();
            Long[] boxed = new Long[amounts.length];
            for (int i = 0; i < amounts.length; i++) boxed[i] = amounts[i];
            Long head = ring.head();
            ps.setLong(1, head == null ? Long.MIN_VALUE : head);
            ps.setLong(2, ring.storedTotal());
            ps.setArray(3, c.createArrayOf("bigint", boxed));
            ps.setString(4, definition);
            ps.setString(5, key);
            ps.addBatch();
        }
    }

    /** What a decision reserved in one window. */
    record Spend(Window window, String key, long millionths) {
    }

    /** The rows of one decision's windows, locked until its transaction ends, at the database's time. */
    final class Locked {
        final long nowMillis;
        private final Map<String, Ring> rings;

        private Locked(long nowMillis, Map<String, Ring> rings) {
            this.nowMillis = nowMillis;
            this.rings = rings;
        }

        private Ring ring(Window w, String agent) {
            Ring r = rings.get(id(w.definition(), key(w, agent)));
            if (r == null) throw new IllegalStateException("window " + w.definition() + " was not locked for this decision");
            return r;
        }

        /** The intent as the policy reads it, with these windows' totals. */
        PolicyInput input(Intent intent) {
            return new WindowedIntent(intent, this);
        }

        Object value(Window w, String agent) {
            return Window.value(ring(w, agent).total(nowMillis));
        }

        /** Adds what the call adds to each window, to the locked rows and to {@code window_spends}; the caller commits. */
        List<Spend> reserve(Connection c, Intent intent) throws SQLException {
            List<Spend> spends = new ArrayList<>();
            for (Window w : windows) {
                long amount = w.contribution(intent); // throws when it cannot be computed: the caller denies
                if (amount != 0) spends.add(new Spend(w, key(w, intent.agent()), amount));
            }
            if (spends.isEmpty()) return spends;
            for (Spend s : spends) ring(s.window, intent.agent()).add(nowMillis, s.millionths);
            try (PreparedStatement up = c.prepareStatement("UPDATE window_counters SET head = ?, total = ?, amounts = ? WHERE window_def = ? AND scope_key = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO window_spends (request_id, window_def, scope_key, at_ms, amount) VALUES (?, ?, ?, ?, ?)")) {
                for (Ring r : rings.values()) if (r.changed) r.store(up, c);
                up.executeBatch();
                for (Spend s : spends) {
                    ins.setString(1, intent.id());
                    ins.setString(2, s.window.definition());
                    ins.setString(3, s.key);
                    ins.setLong(4, nowMillis);
                    ins.setLong(5, s.millionths);
                    ins.addBatch();
                }
                ins.executeBatch();
            }
            return spends;
        }

        /** "budget sum_fleet(cost, 'buy', 1h): 4800 used by the fleet in the last 1h; 300 of it frees at 2026-11-30T13:05:00Z". */
        String describe(Window w, String agent) {
            Ring r = ring(w, agent);
            long total = r.total(nowMillis);
            long[] next = r.nextRelease(nowMillis);
            StringBuilder sb = new StringBuilder("budget ").append(w.definition()).append(": ").append(Window.value(total))
                    .append(w.scope() == Window.Scope.FLEET ? " used by the fleet" : " used by agent " + agent)
                    .append(" in the last ").append(w.lengthText());
            if (next != null) sb.append("; ").append(Window.value(next[1])).append(" of it frees at ").append(Instant.ofEpochMilli(next[0]));
            return sb.toString();
        }
    }

    /** Whether any window counts this call (adds to it if the call is let through). */
    boolean counts(Intent intent) {
        for (Window w : windows) if (w.counts(intent.action())) return true;
        return false;
    }

    Unlocked unlocked(Intent intent) {
        return new Unlocked(intent);
    }

    /**
     * The intent for a first decision without the counters: a read of a window is noted and answered with nothing (the
     * decision it feeds is then thrown away, and the call decided again on locked rows). Reading no window, the decision
     * stands as it is: no total could have changed it.
     */
    static final class Unlocked extends ForwardingPolicyInput {
        private boolean readAny;

        private Unlocked(Intent intent) {
            super(intent);
        }

        boolean readAny() {
            return readAny;
        }

        @Override
        public Object window(Window window) {
            readAny = true;
            return null;
        }
    }

    /**
     * Locks (creating when new) the row of every window for this agent, in definition order, with one statement, and reads
     * the database's time with it. Held until the caller's transaction ends.
     */
    Locked lock(Connection c, String agent) throws SQLException {
        String[] defs = new String[windows.size()];
        String[] keys = new String[windows.size()];
        Long[] buckets = new Long[windows.size()];
        for (int i = 0; i < defs.length; i++) {
            Window w = windows.get(i);
            defs[i] = w.definition();
            keys[i] = key(w, agent);
            buckets[i] = w.bucketMillis();
        }
        Map<String, Ring> rings = new HashMap<>();
        long now = 0;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO window_counters (window_def, scope_key, bucket_ms, head, total, amounts)"
                + " SELECT d, k, b, NULL, 0, '{}' FROM unnest(?::text[], ?::text[], ?::bigint[]) AS t (d, k, b) ORDER BY d COLLATE \"C\", k COLLATE \"C\""
                + " ON CONFLICT (window_def, scope_key) DO UPDATE SET bucket_ms = window_counters.bucket_ms"
                + " RETURNING window_def, scope_key, bucket_ms, head, total, amounts, (extract(epoch FROM clock_timestamp()) * 1000)::bigint")) {
            ps.setArray(1, c.createArrayOf("text", defs));
            ps.setArray(2, c.createArrayOf("text", keys));
            ps.setArray(3, c.createArrayOf("bigint", buckets));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Ring r = ring(rs);
                    rings.put(id(r.definition, r.key), r);
                    now = Math.max(now, rs.getLong(7));
                }
            }
        }
        return new Locked(now, rings);
    }

    private static Ring ring(ResultSet rs) throws SQLException {
        Array stored = rs.getArray(6);
        Long head = rs.getObject(4) == null ? null : rs.getLong(4);
        return new Ring(rs.getString(1), rs.getString(2), rs.getLong(3), head, rs.getLong(5), (Long[]) stored.getArray());
    }

    /**
     * Gives back what these requests reserved and still hold (a conditional update: each reservation is returned once,
     * and never after its call started), in the caller's transaction. Rows are locked in definition order.
     */
    void giveBack(Connection c, Collection<String> requestIds) throws SQLException {
        if (requestIds.isEmpty()) return;
        Map<String, List<long[]>> byRow = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE window_spends SET state = 'returned' WHERE request_id = ANY (?) AND state = 'reserved'"
                + " RETURNING window_def, scope_key, at_ms, amount")) {
            ps.setArray(1, c.createArrayOf("text", requestIds.toArray(String[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) byRow.computeIfAbsent(id(rs.getString(1), rs.getString(2)), k -> new ArrayList<>()).add(new long[]{rs.getLong(3), rs.getLong(4)});
            }
        }
        if (byRow.isEmpty()) return;
        try (PreparedStatement sel = c.prepareStatement("SELECT window_def, scope_key, bucket_ms, head, total, amounts FROM window_counters"
                + " WHERE window_def = ? AND scope_key = ? FOR UPDATE");
             PreparedStatement up = c.prepareStatement("UPDATE window_counters SET head = ?, total = ?, amounts = ? WHERE window_def = ? AND scope_key = ?")) {
            for (Map.Entry<String, List<long[]>> e : byRow.entrySet()) {
                int cut = e.getKey().indexOf('\u0000');
                sel.setString(1, e.getKey().substring(0, cut));
                sel.setString(2, e.getKey().substring(cut + 1));
                try (ResultSet rs = sel.executeQuery()) {
                    if (!rs.next()) continue;
                    Ring r = ring(rs);
                    for (long[] spend : e.getValue()) r.add(spend[0], -spend[1]);
                    if (r.changed) r.store(up, c);
                }
            }
            up.executeBatch();
        }
    }

    /**
     * Makes a call's reservations final as it starts, in the caller's transaction. False when they were given back (its
     * warrant expired unused and the sweep returned them): the call must not run on a budget it no longer holds.
     */
    static boolean makeFinal(Connection c, String requestId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE window_spends SET state = 'final' WHERE request_id = ? AND state = 'reserved'")) {
            ps.setString(1, requestId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM window_spends WHERE request_id = ? AND state = 'returned' LIMIT 1")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next();
            }
        }
    }

    /**
     * Requests whose warrant expired unused, with reservations still held, at most {@code limit}: their calls can no longer
     * start, so what they reserved goes back. {@code graceMillis} past expiry, beyond any replica's clock skew allowance.
     */
    static List<String> expiredUnused(Connection c, long graceMillis, int limit) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT s.request_id FROM window_spends s JOIN warrants w ON w.request_id = s.request_id"
                + " WHERE s.state = 'reserved' AND w.expires_at + ? * interval '1 millisecond' <= clock_timestamp()"
                + " AND NOT EXISTS (SELECT 1 FROM consumptions k WHERE k.warrant_id = w.id) LIMIT ?")) {
            ps.setLong(1, graceMillis);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /** An intent whose window totals come from the locked rows. */
    private static final class WindowedIntent extends ForwardingPolicyInput {
        private final Locked locked;

        WindowedIntent(Intent intent, Locked locked) {
            super(intent);
            this.locked = locked;
        }

        @Override
        public Object window(Window window) {
            return locked.value(window, agent());
        }
    }
}
