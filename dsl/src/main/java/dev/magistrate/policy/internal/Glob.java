package dev.magistrate.policy.internal;

/**
 * An action-name pattern in a window, like {@code 'scale_*'}: {@code *} stands for any run of
 * characters, {@code ?} for one; everything else matches itself. Matching is linear in practice and
 * never backtracks more than once per star (the classic two-pointer algorithm).
 */
public record Glob(String pattern) {

    /** Characters an action name may hold, besides the wildcards. */
    private static final String NAME_CHARS = "_.-:/";

    /** The offset of the first character a glob cannot hold, or -1 when the pattern is valid. */
    public static int invalidAt(String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (!Character.isLetterOrDigit(c) && NAME_CHARS.indexOf(c) < 0 && c != '*' && c != '?') return i;
        }
        return -1;
    }

    public boolean matches(String name) {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == name.charAt(n))) {
                p++;
                n++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = n;
            } else if (star >= 0) {
                p = star + 1;
                n = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') p++;
        return p == pattern.length();
    }
}
