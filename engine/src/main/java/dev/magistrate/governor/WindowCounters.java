package dev.magistrate.governor;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Window;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The state behind {@code count(...)} and {@code sum(...)}: one {@link SlidingWindow} per window
 * definition and agent (one for all agents for the {@code _all} forms).
 *
 * <p>What counts is a call that was granted: its amounts are reserved when the policy lets it through
 * (allow, or approve: it waits for people holding its place) and given back when it ends without
 * running (denied by an approver or a recheck, timed out). The engine decides and reserves under one
 * lock for policies with windows, so two calls decided at once cannot both spend the last of a budget.
 * A reservation becomes final when the call starts ({@code EXECUTION_STARTED}, or the {@code CALL_GRANTED} of a
 * T0 call granted in the process, which records its start); a warrant that is
 * never used keeps its amounts counted until they leave the window (fail closed).
 *
 * <p>What a call adds is computed at decision time and written in its {@code DECISION} entry
 * ({@code window_spend}); at start the engine reads the audit trail and counts again every call that
 * reached {@code EXECUTION_STARTED} (a {@code CALL_GRANTED} is read as submitted, decided and started), so a
 * restart does not reset a budget. Counters are keyed by the
 * window's canonical definition: a new policy version that keeps a window keeps its counter; a window
 * new to this process is rebuilt from the trail when the policy that reads it is put in force.
 */
final class WindowCounters {

    /** Agent key for the {@code _all} windows, and for calls without an agent id. */
    private static final String ALL = "*", NO_AGENT = "(no agent)";
    /** Reservations of warrants never used are forgotten (not given back) once this many are open. */
    private static final int PENDING_LIMIT = 4096;

    private final Map<String, Map<String, SlidingWindow>> counters = new ConcurrentHashMap<>();
    private final Map<String, Reservation> pending = new ConcurrentHashMap<>();
    /** The fleet service decides this engine's calls, so a fleet-wide window is counted there, not here (see {@link #total}). */
    private final boolean fleetDecides;

    WindowCounters(boolean fleetDecides) {
        this.fleetDecides = fleetDecides;
    }

    boolean fleetDecides() {
        return fleetDecides;
    }

    private record Spend(Window window, String key, long millionths) {
    }

    private record Reservation(long atMillis, List<Spend> spends) {
    }

    /** Whether this window already has a counter (and so needs no rebuild). */
    boolean tracks(Window w) {
        return counters.containsKey(w.definition());
    }

    private static String key(Window w, String agent) {
        return w.scope() == Window.Scope.ALL ? ALL : agent == null ? NO_AGENT : agent;
    }

    private SlidingWindow ring(Window w, String key) {
        return counters.computeIfAbsent(w.definition(), d -> new ConcurrentHashMap<>())
                .computeIfAbsent(key, k -> new SlidingWindow(w.bucketMillis()));
    }

    /**
     * The total a condition sees for this call: everything counted, minus what this very intent reserved (a recheck). A
     * fleet-wide window is the fleet service's to count: with the service deciding this engine's calls it reads as nothing
     * spent here (the local pass only filters; the service decides again on the fleet's counter); without, it fails closed.
     */
    long total(Window w, Intent call, long nowMillis) {
        if (w.scope() == Window.Scope.FLEET) {
            if (fleetDecides) return 0;
            throw new IllegalStateException(w.definition() + " is counted by the fleet service, not in this process");
        }
        Map<String, SlidingWindow> byKey = counters.get(w.definition());
        SlidingWindow ring = byKey == null ? null : byKey.get(key(w, call.agent()));
        long total = ring == null ? 0 : ring.total(nowMillis);
        Reservation own = pending.get(call.id());
        if (own != null) {
            for (Spend s : own.spends) if (s.window.equals(w)) total -= s.millionths;
        }
        return total;
    }

    /** A window's total for this call's agent (or all agents) at {@code nowMillis}, as a policy reads it. */
    Object value(Window w, Intent call, long nowMillis) {
        return Window.value(total(w, call, nowMillis));
    }

    /**
     * Reserves what a granted call adds to each window and returns it as the audit records it
     * ({@code "AMOUNT DEFINITION"}). Throws when an amount cannot be computed: the caller denies.
     */
    List<String> reserve(Intent call, List<Window> windows, long nowMillis) {
        List<Spend> spends = new ArrayList<>();
        for (Window w : windows) {
            if (w.scope() == Window.Scope.FLEET) continue; // the fleet service reserves these
            long amount = w.contribution(call);
            if (amount != 0) spends.add(new Spend(w, key(w, call.agent()), amount));
        }
        if (spends.isEmpty()) return List.of();
        if (pending.size() >= PENDING_LIMIT) forgetOldest(nowMillis, windows);
        for (Spend s : spends) ring(s.window, s.key).add(nowMillis, s.millionths);
        pending.put(call.id(), new Reservation(nowMillis, List.copyOf(spends)));
        List<String> recorded = new ArrayList<>(spends.size());
        for (Spend s : spends) recorded.add(amountText(s.millionths) + " " + s.window.definition());
        return recorded;
    }

    /** Reservations older than every window no longer matter: their amounts have left the rings. */
    private void forgetOldest(long nowMillis, List<Window> windows) {
        long longest = windows.stream().mapToLong(w -> w.length().toMillis() + w.bucketMillis()).max().orElse(0);
        pending.values().removeIf(r -> r.atMillis < nowMillis - longest);
    }

    /** Follows the audit trail of a reserved intent: started makes it final, denied or timed out gives it back. */
    void recorded(String intentId, AuditEventType type) {
        if (pending.isEmpty()) return;
        switch (type) {
            case EXECUTION_STARTED, CALL_GRANTED -> pending.remove(intentId);
            case INTENT_DENIED, INTENT_TIMED_OUT -> {
                Reservation r = pending.remove(intentId);
                if (r == null) return;
                for (Spend s : r.spends) {
                    Map<String, SlidingWindow> byKey = counters.get(s.window.definition());
                    SlidingWindow ring = byKey == null ? null : byKey.get(s.key);
                    if (ring != null) ring.add(r.atMillis, -s.millionths);
                }
            }
            default -> {
            }
        }
    }

    /** "budget sum(cost, 1h): 4800 used by agent ops-bot in the last 1h; 300 of it frees at 2026-11-30T13:05:00Z". */
    String describe(Window w, Intent call, long nowMillis) {
        if (w.scope() == Window.Scope.FLEET) return "budget " + w.definition() + ": counted by the fleet service";
        String key = key(w, call.agent());
        Map<String, SlidingWindow> byKey = counters.get(w.definition());
        SlidingWindow ring = byKey == null ? null : byKey.get(key);
        long total = total(w, call, nowMillis);
        long[] next = ring == null ? null : ring.nextRelease(nowMillis);
        StringBuilder sb = new StringBuilder("budget ").append(w.definition()).append(": ").append(amountText(total))
                .append(w.scope() == Window.Scope.ALL ? " used by all agents" : " used by agent " + key)
                .append(" in the last ").append(w.lengthText());
        if (next != null) {
            sb.append("; ").append(amountText(next[1])).append(" of it frees at ").append(Instant.ofEpochMilli(next[0]));
        }
        return sb.toString();
    }

    static String amountText(long millionths) {
        return Window.value(millionths).toString();
    }

    /**
     * Puts a policy's windows in force: counters of windows it no longer reads are dropped (read again later, they are
     * rebuilt, like after a restart); windows it reads that have no counter are rebuilt from the audit trail in
     * {@code dir}: every call that started within the window, with the amount its {@code DECISION} entry recorded, at
     * that entry's time.
     */
    void track(Path dir, List<Window> windows, long nowMillis) {
        Rebuild rebuild = rebuild(dir, windows, nowMillis);
        if (rebuild == null) return;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded entry;
            while ((entry = reader.nextEntry(rebuild::wants)) != null) rebuild.accept(entry);
        } catch (RuntimeException e) {
            throw rebuild.failed(e);
        }
    }

    /**
     * As {@link #track}, but the entries come from a pass over the trail that the caller makes (and may share): null when
     * no window needs rebuilding. A pass that fails must end with {@link Rebuild#failed}.
     */
    Rebuild rebuild(Path dir, List<Window> windows, long nowMillis) {
        Set<String> kept = new HashSet<>();
        for (Window w : windows) kept.add(w.definition());
        counters.keySet().retainAll(kept);
        Map<String, Window> wanted = new HashMap<>();
        long reach = 0;
        for (Window w : windows) {
            if (tracks(w) || w.scope() == Window.Scope.FLEET) continue;
            wanted.put(w.definition(), w);
            reach = Math.max(reach, w.length().toMillis() + w.bucketMillis());
            counters.computeIfAbsent(w.definition(), d -> new ConcurrentHashMap<>());
        }
        if (wanted.isEmpty() || dir == null) return null;
        return new Rebuild(dir, wanted, nowMillis - reach);
    }

    /** Counts again, entry by entry, what the trail recorded for the windows being rebuilt. */
    final class Rebuild implements Consumer<CanonicalEntry.Decoded> {
        private final Path dir;
        private final Map<String, Window> wanted;
        private final long fromMillis;
        private final Map<String, String> agents = new HashMap<>();
        private final Map<String, Reservation> decided = new HashMap<>();
        private static final Set<AuditEventType> COUNTED_STEPS =
                EnumSet.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.EXECUTION_STARTED);

        private Rebuild(Path dir, Map<String, Window> wanted, long fromMillis) {
            this.dir = dir;
            this.wanted = wanted;
            this.fromMillis = fromMillis;
        }

        /** Whether entries of {@code type} can count: only those are decoded. */
        boolean wants(AuditEventType type) {
            return !Collections.disjoint(type.steps(), COUNTED_STEPS);
        }

        @Override
        public void accept(CanonicalEntry.Decoded entry) {
            AuditEvent e = entry.event();
            long at = e.time().toEpochMilli();
            if (at < fromMillis) return;
            if (!wants(e.type())) return; // not even parsed
            for (AuditPayload step : entry.payload().steps()) count(e.intentId(), at, step);
        }

        private void count(String intentId, long at, AuditPayload step) {
            switch (step.type()) {
                case INTENT_SUBMITTED -> agents.put(intentId, ((AuditPayload.IntentSubmitted) step).agent());
                case DECISION -> {
                    String agent = agents.remove(intentId);
                    List<String> spend = ((AuditPayload.Decision) step).windowSpend();
                    List<Spend> spends = new ArrayList<>();
                    for (String s : spend) {
                        int space = s.indexOf(' ');
                        Window w = space < 0 ? null : wanted.get(s.substring(space + 1));
                        if (w == null) continue;
                        long millionths = new BigDecimal(s.substring(0, space)).movePointRight(Window.SCALE).longValueExact();
                        spends.add(new Spend(w, key(w, agent), millionths));
                    }
                    if (!spends.isEmpty()) decided.put(intentId, new Reservation(at, spends));
                }
                case EXECUTION_STARTED -> {
                    Reservation r = decided.remove(intentId);
                    if (r != null) for (Spend s : r.spends) ring(s.window, s.key).add(r.atMillis, s.millionths);
                }
                default -> {
                }
            }
        }

        /** Drops the half-rebuilt counters (they are rebuilt when next wanted); the exception to throw. */
        IllegalStateException failed(RuntimeException e) {
            for (String d : wanted.keySet()) counters.remove(d);
            return new IllegalStateException("cannot rebuild the windows " + wanted.keySet() + " from the audit trail in " + dir + ": " + e.getMessage(), e);
        }
    }
}
