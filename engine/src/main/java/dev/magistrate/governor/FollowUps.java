package dev.magistrate.governor;

import dev.magistrate.intent.Intent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Links a call to the earlier intent it follows up, as its {@code parent_intent_id}, so approvers see both side by side:
 * <ul>
 * <li>an answer to a question: when an approver asks for more information, the agent is expected to call the same
 * action again with the answer; that next intent (same agent, same action, within {@link #WINDOW}) follows the asking
 * one. Each question links one answer.</li>
 * <li>a call made again after a restart: an intent that waited for approval when the process stopped was abandoned;
 * the next intent with the same agent, action and arguments follows it, so nobody approves the ghost instead.</li>
 * </ul>
 * A call that already has a parent (a nested governed call) is left as it is. Bounded: the oldest open entries are
 * forgotten first.
 */
final class FollowUps {

    static final Duration WINDOW = Duration.ofHours(1);
    private static final int MAX_OPEN = 10_000;

    private record Earlier(String intentId, Instant at) {
    }

    private final Clock clock;
    private final Map<String, Earlier> questions = bounded();
    private final Map<String, Earlier> abandoned = bounded();

    FollowUps(Clock clock) {
        this.clock = clock;
    }

    private static Map<String, Earlier> bounded() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Earlier> eldest) {
                return size() > MAX_OPEN;
            }
        };
    }

    private static String question(Intent i) {
        return i.agent() + '\u0000' + i.action();
    }

    private static String call(String agent, String action, String argsDigest) {
        return agent + '\u0000' + action + '\u0000' + argsDigest;
    }

    synchronized void expectAnswer(Intent asked) {
        questions.remove(question(asked)); // re-inserted last: the newest question is the one answered
        questions.put(question(asked), new Earlier(asked.id(), clock.instant()));
    }

    /** An intent the restart abandoned: the same call made again follows it (any time after, once). */
    synchronized void abandoned(String intentId, String agent, String action, String argsDigest) {
        abandoned.put(call(agent, action, argsDigest), new Earlier(intentId, clock.instant()));
    }

    /** The intent, linked to the earlier one it follows up when there is one. */
    Intent link(Intent next) {
        if (next.parentIntentId() != null) return next;
        Earlier earlier;
        synchronized (this) {
            if (questions.isEmpty() && abandoned.isEmpty()) return next;
            earlier = abandoned.remove(call(next.agent(), next.action(), next.argsDigest()));
            if (earlier == null) {
                earlier = questions.remove(question(next));
                if (earlier != null && clock.instant().isAfter(earlier.at().plus(WINDOW))) earlier = null;
            }
        }
        if (earlier == null || earlier.intentId().equals(next.id())) return next;
        return next.withParent(earlier.intentId());
    }
}
