package dev.magistrate.spring;

import dev.magistrate.policy.Tier;

import java.util.Arrays;

/**
 * What the starter knows about one governed bean method, worked out once, when its bean is proxied.
 *
 * @param parameterNames     names policies see as {@code args.NAME}, in parameter order
 * @param justificationIndex the parameter that carries the justification, or -1
 * @param costIndex          the parameter that carries the estimated cost, or -1
 * @param minimumTier        the annotation's floor, or null
 * @param fallbackToMessage  a denial returns its message instead of throwing (a text tool listed in magistrate.fallback.actions)
 * @param refusal            why every call is denied without asking the policy (an action name or a parameter type that
 *                           cannot be governed), or null
 */
record GovernedMethod(String action, String resource, String[] parameterNames, int justificationIndex, int costIndex, Tier minimumTier,
                      boolean fallbackToMessage, String where, String refusal) {

    @Override
    public String toString() {
        return action + " (" + where + ", args " + Arrays.toString(parameterNames) + ")";
    }
}
