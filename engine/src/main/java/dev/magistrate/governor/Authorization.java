package dev.magistrate.governor;

import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.warrant.Warrant;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A granted intent: the warrant, the call as the agent asked for it, and the call as approved. They differ
 * when an approver approved with changes ({@code editedBy}); the warrant then binds the approved arguments,
 * and only those. Without an edit {@code approved} is {@code requested}. {@code decision} is what the policy
 * decided when the intent was submitted, the terms the approvers met. {@code warrant} is null for a T0 call granted
 * in this process: its CALL_GRANTED entry, written ahead, is the authorisation, and nothing is signed.
 */
public record Authorization(Warrant warrant, Intent requested, Intent approved, String editedBy, Decision decision) {

    /** One argument an approver changed. */
    public record Change(Object requested, Object approved) {
        @Override
        public String toString() {
            return requested + " -> " + approved;
        }
    }

    public Authorization {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(approved, "approved");
        Objects.requireNonNull(decision, "decision");
    }

    /** A T0 call granted in this process, without a warrant (see {@code Governor.submit}). */
    static Authorization granted(Intent intent, Decision decision) {
        return new Authorization(null, intent, intent, null, decision);
    }

    static Authorization unchanged(Warrant warrant, Intent intent, Decision decision) {
        return new Authorization(warrant, intent, intent, null, decision);
    }

    /** The arguments the call must run with: what the warrant (or the decision, for a T0 grant) binds. */
    public Map<String, Object> args() {
        return approved.args();
    }

    /** The arguments an approver changed, by name, in parameter order; empty when none was. */
    public Map<String, Change> changes() {
        return changes(requested.args(), approved.args());
    }

    static Map<String, Change> changes(Map<String, Object> requested, Map<String, Object> approved) {
        Map<String, Change> m = new LinkedHashMap<>();
        approved.forEach((name, value) -> {
            if (!Objects.equals(requested.get(name), value)) m.put(name, new Change(requested.get(name), value));
        });
        return m;
    }

    /** Like {@code instances 200 -> 25, service web -> api}, for a log line. */
    static String describe(Map<String, Change> changes) {
        return changes.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}
