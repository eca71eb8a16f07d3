package dev.magistrate.governor;

import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code agent.denials_in_a_row}: per agent, how many calls in a row were denied (by the policy, an approver,
 * a timeout or a failure on the way); a granted call (a warrant issued) starts again from 0. Process-local: a
 * restart starts every agent at 0 (docs/policy-language.md says so).
 */
final class DenialStreaks {

    /** Agents whose last call was granted are not kept: the map holds only agents on a streak. */
    private final ConcurrentHashMap<String, Long> streaks = new ConcurrentHashMap<>();

    long of(String agent) {
        Long n = streaks.get(key(agent));
        return n == null ? 0L : n;
    }

    void denied(String agent) {
        streaks.merge(key(agent), 1L, Long::sum);
    }

    void granted(String agent) {
        streaks.remove(key(agent));
    }

    // An intent without an agent still has a streak of its own: calls made anonymously share it.
    private static String key(String agent) {
        return agent == null ? "" : agent;
    }
}
