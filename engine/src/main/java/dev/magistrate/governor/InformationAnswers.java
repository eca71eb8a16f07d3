package dev.magistrate.governor;

import dev.magistrate.intent.Intent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Links an answer to its question. When an approver asks for more information, the agent is expected to
 * call the same action again with the answer; that next intent (same agent, same action, within
 * {@link #WINDOW}, and not already the child of another) gets the asking intent as its
 * {@code parent_intent_id}, so approvers see both side by side. Each question links one answer. Bounded:
 * the oldest open questions are forgotten first.
 */
final class InformationAnswers {

    static final Duration WINDOW = Duration.ofHours(1);
    private static final int MAX_OPEN = 10_000;

    private record Asked(String intentId, Instant at) {
    }

    private final Clock clock;
    private final Map<String, Asked> open = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Asked> eldest) {
            return size() > MAX_OPEN;
        }
    };

    InformationAnswers(Clock clock) {
        this.clock = clock;
    }

    private static String key(Intent i) {
        return i.agent() + '\u0000' + i.action();
    }

    synchronized void expect(Intent asked) {
        open.remove(key(asked)); // re-inserted last: the newest question is the one answered
        open.put(key(asked), new Asked(asked.id(), clock.instant()));
    }

    /** The intent, linked to the question it answers when there is one. */
    Intent link(Intent next) {
        if (next.parentIntentId() != null) return next;
        Asked asked;
        synchronized (this) {
            if (open.isEmpty()) return next;
            asked = open.remove(key(next));
        }
        if (asked == null || asked.intentId().equals(next.id()) || clock.instant().isAfter(asked.at().plus(WINDOW))) return next;
        return next.withParent(asked.intentId());
    }
}
