package dev.magistrate.intent;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * One spelling per action: a lookalike ("ѕcale" with a Cyrillic s) must not slip past a rule for
 * "scale" to the default tier. NFKC folds compatibility forms (fullwidth letters); what is still not
 * an ASCII identifier is refused, and its calls are denied. Every adapter (agent, Spring starter)
 * names actions through here.
 */
public final class ActionNames {

    private static final Pattern ACTION_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.:#$/-]{0,199}");

    private ActionNames() {
    }

    /** The action as policies see it: its NFKC form. */
    public static String normalize(String action) {
        return Normalizer.normalize(action, Normalizer.Form.NFKC);
    }

    /** Why calls of this (normalized) action are refused without asking the policy, or null when it is a valid name. */
    public static String refusal(String normalized) {
        return ACTION_NAME.matcher(normalized).matches() ? null : "its action name '" + normalized + "' is not an ASCII identifier"
                + " (letters, digits, _ . : # $ / -), so no policy rule can be trusted to name it; rename the action";
    }
}
