package dev.magistrate.policy;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Numbers every signal name once per JVM, so that a compiled policy reads {@code signal.NAME} from an
 * array slot fixed when it was compiled ({@link PolicyInput#signal(int)}) instead of looking a name up
 * per call. Names only ever join; a slot never changes meaning.
 */
public final class SignalSlots {

    /** What a signal name may be: what the DSL reads after {@code signal.} (a letter or _, then letters, digits, _). */
    public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    /** Far more names than any policy uses: a bound on what a misbehaving publisher can make this table hold. */
    public static final int MAX_SLOTS = 4096;

    private static final Map<String, Integer> SLOTS = new ConcurrentHashMap<>();
    /** Names by slot; replaced, never changed, so that {@link #name} reads it without a lock. */
    private static volatile String[] names = new String[0];

    private SignalSlots() {
    }

    /**
     * The slot of this name, assigned on first use.
     *
     * @throws IllegalArgumentException a name the DSL could not read, or one name too many
     */
    public static int of(String name) {
        Integer slot = SLOTS.get(name);
        if (slot != null) return slot;
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("signal name '" + name + "' is not a name the policy can read as signal.NAME"
                    + " (a letter or _, then letters, digits or _, at most 64)");
        }
        synchronized (SignalSlots.class) {
            slot = SLOTS.get(name);
            if (slot != null) return slot;
            String[] current = names;
            if (current.length >= MAX_SLOTS) throw new IllegalArgumentException("more than " + MAX_SLOTS + " signal names in this JVM");
            String[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = name;
            names = next; // published before the slot can be handed out below
            SLOTS.put(name, current.length);
            return current.length;
        }
    }

    /** The name of an assigned slot. */
    public static String name(int slot) {
        return names[slot];
    }
}
