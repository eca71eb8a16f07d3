package dev.magistrate.engine;

import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Tier;

import java.util.Arrays;

/**
 * A governed method as an adapter (the agent, the Spring starter) describes it, worked out once when its class is
 * instrumented or its bean proxied; {@link ToolCalls#admit} governs its calls.
 *
 * @param parameterNames     names policies see as {@code args.NAME}, in parameter order
 * @param justificationIndex the parameter that carries the justification, or -1
 * @param costIndex          the parameter that carries the estimated cost, or -1
 * @param minimumTier        the annotation's floor, or null
 * @param fallbackToMessage  a denial (or a question) returns its message instead of throwing: a text tool listed in
 *                           {@code magistrate.fallback.actions}
 * @param deferred           approve later: a call that needs people returns at once as pending ({@code magistrate.defer.actions})
 * @param pendingAsMessage   a deferred call returns the pending message as its result (the method returns text)
 * @param where              {@code Class#method}, for logs
 * @param refusal            why every call is denied without asking the policy (an action name that is not an identifier,
 *                           a parameter type that cannot be governed, a required tool left ungoverned), or null
 * @param rollback           the compensating method it declares ({@code @GovernedAction(rollback = ...)}), or null
 */
public record ToolMethod(String action, String resource, String[] parameterNames, int justificationIndex, int costIndex,
                         Tier minimumTier, boolean fallbackToMessage, boolean deferred, boolean pendingAsMessage, String where,
                         String refusal, Compensation rollback) {

    /** A tool that declares no rollback. */
    public ToolMethod(String action, String resource, String[] parameterNames, int justificationIndex, int costIndex, Tier minimumTier,
                      boolean fallbackToMessage, boolean deferred, boolean pendingAsMessage, String where, String refusal) {
        this(action, resource, parameterNames, justificationIndex, costIndex, minimumTier, fallbackToMessage, deferred, pendingAsMessage,
                where, refusal, null);
    }

    /** Adds the arguments to {@code intent} by name, in parameter order (straight into the intent's map: no map of their own). */
    public Intent.Builder namedArguments(Object[] args, Intent.Builder intent) {
        for (int i = 0; i < parameterNames.length && i < args.length; i++) intent.arg(parameterNames[i], args[i]);
        return intent;
    }

    @Override
    public String toString() {
        return action + " (" + where + ", args " + Arrays.toString(parameterNames) + (deferred ? ", approve later" : "")
                + (rollback == null ? "" : ", rollback " + rollback.action() + (rollback.problem() == null ? "" : " (BROKEN: " + rollback.problem() + ")"))
                + ")";
    }
}
