package dev.magistrate.agent.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the agent knows about one instrumented method, worked out once when its class is transformed.
 *
 * @param parameterNames     names policies see as {@code args.NAME}, in parameter order
 * @param justificationIndex the parameter that carries the justification, or -1
 * @param costIndex          the parameter that carries the estimated cost, or -1
 * @param minimumTier        the annotation's floor ({@code T0}..{@code T3}), or null
 * @param fallbackToMessage  a denial returns its message instead of throwing
 * @param deferred           a call that needs people returns at once as pending (approve later) instead of waiting
 * @param pendingAsMessage   a deferred call returns the pending message as its result (the method returns text)
 * @param refusal            why every call of this method is denied without asking the policy (an action
 *                           name that is not an identifier), or null
 */
record GovernedMethod(int id, String action, String resource, String[] parameterNames, int justificationIndex,
                      int costIndex, String minimumTier, boolean fallbackToMessage, boolean deferred, boolean pendingAsMessage, String where,
                      String refusal) {

    Map<String, Object> namedArguments(Object[] args) {
        Map<String, Object> named = new LinkedHashMap<>(parameterNames.length * 2);
        for (int i = 0; i < parameterNames.length && i < args.length; i++) named.put(parameterNames[i], args[i]);
        return named;
    }

    @Override
    public String toString() {
        return action + " (" + where + ", args " + Arrays.toString(parameterNames) + (deferred ? ", approve later" : "") + ")";
    }
}
