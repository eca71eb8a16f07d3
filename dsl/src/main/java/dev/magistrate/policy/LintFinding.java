package dev.magistrate.policy;

/**
 * One thing {@link PolicyLint} found in a policy.
 *
 * @param code       a stable name for the kind of finding: {@code unknown-argument}, {@code argument-type},
 *                   {@code unknown-action}, {@code never-matches}, {@code shadowed}, {@code conflict}
 * @param rule       the rule the finding is about ({@code rollbacks} for an entry of that list)
 * @param location   where in the policy file: the condition's character where that is known, else the rule
 * @param suggestion what to write instead ("did you mean `instances`?"), or null
 */
public record LintFinding(Severity severity, String code, String rule, String message, SourceLocation location,
                          String suggestion) {

    public enum Severity implements LowerCaseWireName {
        /** The rule cannot do what it says: a CI run of {@code policy lint} fails (exit 1). */
        ERROR,
        /** Surprising but possibly meant: reported, exit 0. */
        WARNING
    }

    /** {@code file:line:col: error: message (did you mean ...?)}, one line. */
    public String format() {
        return location + ": " + severity.wireName() + ": " + message + (suggestion != null ? " (" + suggestion + ")" : "")
                + " [" + code + "]";
    }
}
