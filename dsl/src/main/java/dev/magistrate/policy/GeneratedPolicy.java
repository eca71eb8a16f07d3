package dev.magistrate.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The base of every class {@link PolicyCompiler} generates. The generated part only finds which
 * rules match (a bit per rule); combining them into a {@link Decision} happens here, once per
 * distinct set of matched rules, and the result is cached, so the common path allocates nothing.
 * Public only because generated classes live in their own class loader.
 */
public abstract class GeneratedPolicy implements CompiledPolicy {

    /** Marks an attribute slot not yet fetched during one decision. */
    public static final Object UNRESOLVED = new Object();

    private static final ConcurrentHashMap<Long, Object[]> HANDOFF = new ConcurrentHashMap<>();
    private static final int CACHE_SIZE = 1024;
    /** How many slots, from its home slot on, an entry of the decision cache may take (see decisionFor). */
    private static final int PROBES = 8;

    private final PolicySet set;
    private final Rule[] rules;
    private final boolean wide;
    private final int words;
    private final Object[] cache = new Object[CACHE_SIZE];
    private final List<Window> windows;
    private final java.util.Map<String, List<Window>> windowsByRule = new java.util.HashMap<>();
    private List<Rollback> rollbacks = List.of();

    protected GeneratedPolicy(PolicySet set) {
        this.set = set;
        this.rules = set.rules().toArray(new Rule[0]);
        this.wide = rules.length > 64;
        this.words = (rules.length + 63) / 64;
        this.windows = Window.in(set);
        if (!windows.isEmpty()) {
            for (Rule r : rules) if (r.condition() != null) windowsByRule.put(r.name(), Window.in(r.condition()));
        }
    }

    /** Called by a generated class's static initialiser to take the constants it was compiled with. */
    public static Object[] constants(long id) {
        Object[] k = HANDOFF.remove(id);
        if (k == null) throw new IllegalStateException("no constants for generated policy " + id);
        return k;
    }

    static void handOff(long id, Object[] constants) {
        HANDOFF.put(id, constants);
    }

    /**
     * The rules that test for one action, in a class of their own. The generated {@code match} reaches them through
     * this class's virtual call, which the JIT does not inline once three or more actions are called (a megamorphic
     * site): each action's rules are then compiled on their own, with the JIT's whole inlining budget, in every run.
     * A switch over static methods let the JIT inline the first few actions into one method until its budget ran out,
     * and which ones, and where, varied from run to run.
     */
    public abstract static class ActionRules {
        /** Bits of this action's matched rules, for sets of at most 64 rules. */
        public long match(PolicyInput in) {
            throw new UnsupportedOperationException();
        }

        /** Sets the bits of this action's matched rules, for larger sets. */
        public void matchWide(PolicyInput in, long[] matched) {
            throw new UnsupportedOperationException();
        }
    }

    /** Bits of the matched rules, for sets of at most 64 rules. */
    protected long match(PolicyInput in) {
        throw new UnsupportedOperationException();
    }

    /** Bits of the matched rules, for larger sets: bit {@code i % 64} of word {@code i / 64}. */
    protected void matchWide(PolicyInput in, long[] matched) {
        throw new UnsupportedOperationException();
    }

    @Override
    public final Decision decide(PolicyInput in) {
        try {
            if (!wide) return decisionFor(match(in));
            long[] m = new long[words];
            matchWide(in, m);
            return decisionFor(m);
        } catch (RuntimeException | StackOverflowError e) {
            return Decision.failClosed("policy evaluation failed (" + e.getClass().getSimpleName() + "): denied to be safe",
                    set.version());
        }
    }

    @Override
    public final String version() {
        return set.version();
    }

    @Override
    public final List<Window> windows() {
        return windows;
    }

    @Override
    public final List<Window> windowsOf(String rule) {
        return windowsByRule.getOrDefault(rule, List.of());
    }

    @Override
    public final List<Rollback> rollbacks() {
        return rollbacks;
    }

    /** Set once by the compiler, before the policy is published. */
    final void rollbacks(List<Rollback> compiled) {
        this.rollbacks = List.copyOf(compiled);
    }

    public final PolicySet policySet() {
        return set;
    }

    private record NarrowEntry(long key, Decision decision) {
    }

    private record WideEntry(long[] key, Decision decision) {
    }

    // A cache of immutable entries: racy reads and writes are safe (final fields), and an entry lost to a race or
    // overwritten only costs recomputing its decision. An entry whose home slot is taken goes to the next free one
    // of PROBES slots, so that two sets of matched rules that the calls keep using do not evict each other (the
    // 50-rule benchmark's 76 sets had 7 home-slot collisions, each eviction a new decision); only when all of them
    // are taken does it take the home slot over, as a direct-mapped cache would.
    private Decision decisionFor(long bits) {
        int home = (int) mix(bits) & (CACHE_SIZE - 1);
        if (cache[home] instanceof NarrowEntry n && n.key == bits) return n.decision;
        return decisionMissed(bits, home);
    }

    private Decision decisionMissed(long bits, int home) {
        int slot = home;
        for (int i = 1; i < PROBES && cache[slot] != null; i++) {
            slot = (home + i) & (CACHE_SIZE - 1);
            if (cache[slot] instanceof NarrowEntry n && n.key == bits) return n.decision;
        }
        if (cache[slot] != null) slot = home;
        List<Rule> matched = new ArrayList<>(Long.bitCount(bits));
        for (long b = bits; b != 0; b &= b - 1) matched.add(rules[Long.numberOfTrailingZeros(b)]);
        Decision d = set.combine(matched);
        cache[slot] = new NarrowEntry(bits, d);
        return d;
    }

    private Decision decisionFor(long[] bits) {
        int home = (int) mix(Arrays.hashCode(bits)) & (CACHE_SIZE - 1);
        if (cache[home] instanceof WideEntry w && Arrays.equals(w.key, bits)) return w.decision;
        int slot = home;
        for (int i = 1; i < PROBES && cache[slot] != null; i++) {
            slot = (home + i) & (CACHE_SIZE - 1);
            if (cache[slot] instanceof WideEntry w && Arrays.equals(w.key, bits)) return w.decision;
        }
        if (cache[slot] != null) slot = home;
        List<Rule> matched = new ArrayList<>();
        for (int w = 0; w < bits.length; w++) {
            for (long b = bits[w]; b != 0; b &= b - 1) matched.add(rules[w * 64 + Long.numberOfTrailingZeros(b)]);
        }
        Decision d = set.combine(matched);
        cache[slot] = new WideEntry(bits, d);
        return d;
    }

    private static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        x ^= x >>> 33;
        return x;
    }

    @Override
    public BreakGlassPolicy breakGlass() {
        return set.breakGlass();
    }
}
