package dev.magistrate.policy.internal;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * The regexes of {@code matches}: compiled with RE2/J, which matches in time linear in the text
 * (an automaton, no backtracking), so no argument can make a decision hang. Refuses, with the index
 * of the construct, what RE2/J cannot run (backreferences, lookaround, atomic groups, possessive
 * quantifiers), the Java constructs RE2/J would silently read differently (class intersection and
 * nested classes, {@code \v}, the {@code U} flag), and regexes too large to keep a decision cheap.
 */
public final class LinearRegex {

    /**
     * The most automaton steps a regex may expand to: characters, classes and operators, with
     * counted repetitions multiplied out ({@code (ab){10}} is 30). Matching costs at most about
     * this many steps per character of text.
     */
    public static final int MAX_STEPS = 2_000;
    /** Deeper groups would overflow RE2/J's recursive compiler. */
    public static final int MAX_DEPTH = 100;

    private LinearRegex() {
    }

    /** Why a regex was refused, and the index in the regex text of the construct at fault. */
    public static final class Refused extends Exception {
        private final int index;

        Refused(int index, String message) {
            super(message, null, false, false);
            this.index = index;
        }

        /** 0-based index into the regex text, or -1 when the regex as a whole is at fault. */
        public int index() {
            return index;
        }
    }

    public static Pattern compile(String regex) throws Refused {
        long steps = new Scan(regex).run();
        if (steps > MAX_STEPS) {
            throw new Refused(-1, "regular expression too large: it expands to " + (steps == Long.MAX_VALUE ? "more than " + Integer.MAX_VALUE : steps)
                    + " steps, at most " + MAX_STEPS + " are allowed (counted repetitions multiply: (a{100}){30} is 3000)");
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new Refused(-1, "invalid regular expression: " + e.getDescription() + ": `" + e.getPattern() + "`");
        } catch (StackOverflowError e) {
            throw new Refused(-1, "regular expression nests too deeply");
        }
    }

    /** One pass over the regex: refuses the constructs above and estimates the automaton's size. */
    private static final class Scan {
        final String r;
        int i;
        int depth;
        // Per open group: the steps so far and the steps of the last atom (what a quantifier repeats).
        long[] totals = new long[MAX_DEPTH + 2];
        long[] lasts = new long[MAX_DEPTH + 2];
        boolean afterQuantifier;
        int quantifierAt;

        Scan(String r) {
            this.r = r;
        }

        long run() throws Refused {
            while (i < r.length()) {
                char c = r.charAt(i);
                switch (c) {
                    case '\\' -> escape(false);
                    case '[' -> charClass();
                    case '(' -> open();
                    case ')' -> close();
                    case '|' -> {
                        add(1);
                        lasts[depth] = 0;
                        i++;
                        afterQuantifier = false;
                    }
                    case '*', '+', '?' -> {
                        if (afterQuantifier && c == '+') {
                            throw new Refused(quantifierAt, "possessive quantifier '" + r.substring(quantifierAt, i + 1)
                                    + "' is not supported (regexes run in linear time, without backtracking; leave out the final '+')");
                        }
                        boolean lazy = afterQuantifier && c == '?';
                        if (!lazy) quantifierAt = i;
                        add(1);
                        i++;
                        afterQuantifier = !lazy;
                    }
                    case '{' -> counted();
                    default -> atom(1);
                }
            }
            long total = 0;
            for (int d = 0; d <= depth; d++) total = sat(total, totals[d]);
            return total;
        }

        void atom(int length) {
            add(1);
            lasts[depth] = 1;
            i += length;
            afterQuantifier = false;
        }

        void add(long steps) {
            totals[depth] = sat(totals[depth], steps);
        }

        void escape(boolean inClass) throws Refused {
            if (i + 1 >= r.length()) {
                i++; // a trailing backslash: RE2/J reports it
                return;
            }
            char d = r.charAt(i + 1);
            if (d == 'Q') {
                int end = r.indexOf("\\E", i + 2);
                int stop = end < 0 ? r.length() : end;
                add(stop - (i + 2));
                lasts[depth] = 1;
                i = end < 0 ? r.length() : end + 2;
                afterQuantifier = false;
                return;
            }
            if (!inClass && d >= '1' && d <= '9') {
                throw new Refused(i, "backreference \\" + d + " is not supported (regexes run in linear time, without backtracking)");
            }
            if (d == 'k') {
                throw new Refused(i, "backreference \\k<name> is not supported (regexes run in linear time, without backtracking)");
            }
            if (d == 'G') throw new Refused(i, "\\G (the end of the previous match) is not supported: a condition makes one search");
            if (d == 'Z') throw new Refused(i, "\\Z is not supported: use \\z or $ for the end of the text");
            if (d == 'v') {
                throw new Refused(i, "\\v is not supported, because Java and RE2 read it differently: write \\x0B for a vertical tab,"
                        + " or [\\n\\x0B\\f\\r] for vertical space");
            }
            int length = 2;
            if ((d == 'p' || d == 'P' || d == 'x') && i + 2 < r.length() && r.charAt(i + 2) == '{') {
                int close = r.indexOf('}', i + 3);
                length = close < 0 ? r.length() - i : close + 1 - i;
            }
            if (inClass) {
                i += length;
            } else {
                atom(length);
            }
        }

        void charClass() throws Refused {
            int start = i;
            i++;
            if (i < r.length() && r.charAt(i) == '^') i++;
            if (i < r.length() && r.charAt(i) == ']') i++; // a ']' first is a literal
            while (i < r.length()) {
                char c = r.charAt(i);
                if (c == ']') {
                    i++;
                    add(1);
                    lasts[depth] = 1;
                    afterQuantifier = false;
                    return;
                }
                if (c == '\\') {
                    escape(true);
                } else if (c == '[') {
                    throw new Refused(i, "'[' inside a character class is not supported, because Java and RE2 read nested classes,"
                            + " unions and [:name:] differently: write \\[ for the character");
                } else if (c == '&' && i + 1 < r.length() && r.charAt(i + 1) == '&') {
                    throw new Refused(i, "character class intersection '&&' is not supported: list the characters instead");
                } else {
                    i++;
                }
            }
            i = start + 1; // unclosed: RE2/J reports it
            atom(0);
        }

        void open() throws Refused {
            int start = i;
            i++;
            afterQuantifier = false;
            if (i < r.length() && r.charAt(i) == '?') {
                String rest = r.substring(i + 1, Math.min(r.length(), i + 3));
                if (rest.startsWith("=") || rest.startsWith("!")) {
                    throw new Refused(start, "lookahead '(?" + rest.charAt(0) + "' is not supported (regexes run in linear time, without backtracking)");
                }
                if (rest.startsWith("<=") || rest.startsWith("<!")) {
                    throw new Refused(start, "lookbehind '(?" + rest + "' is not supported (regexes run in linear time, without backtracking)");
                }
                if (rest.startsWith(">")) {
                    throw new Refused(start, "atomic group '(?>' is not supported (regexes run in linear time, without backtracking)");
                }
                if (!rest.startsWith("<") && !rest.startsWith("P") && !rest.startsWith(":")) {
                    // Flags: (?i), (?s-m:...). RE2/J knows i, m, s; U would change meaning, the rest it reports.
                    int j = i + 1;
                    while (j < r.length() && (Character.isLetter(r.charAt(j)) || r.charAt(j) == '-')) {
                        char f = r.charAt(j);
                        if (f == 'U') {
                            throw new Refused(j, "flag U is not supported: it means Unicode classes in Java but lazy repetition in RE2");
                        }
                        if (f == 'x') throw new Refused(j, "flag x (comments mode) is not supported");
                        if (f == 'u') throw new Refused(j, "flag u is not needed: (?i) folds Unicode case");
                        if (f == 'd' || f == 'c') throw new Refused(j, "flag " + f + " is not supported");
                        j++;
                    }
                    if (j < r.length() && r.charAt(j) == ')') {
                        i = j + 1; // a flag group applies to what follows; it is not a group
                        return;
                    }
                }
            }
            if (depth + 1 > MAX_DEPTH) {
                throw new Refused(start, "regular expression nests groups more than " + MAX_DEPTH + " deep");
            }
            depth++;
            totals[depth] = 0;
            lasts[depth] = 0;
        }

        void close() {
            i++;
            if (depth == 0) {
                atom(0); // unbalanced: RE2/J reports it
                return;
            }
            long group = sat(totals[depth], 1);
            depth--;
            add(group);
            lasts[depth] = group;
            afterQuantifier = false;
        }

        /** {@code {n}}, {@code {n,}}, {@code {n,m}}: multiplies the last atom; anything else is a literal brace. */
        void counted() throws Refused {
            int j = i + 1;
            int n1 = j;
            while (j < r.length() && Character.isDigit(r.charAt(j))) j++;
            if (j == n1 || j >= r.length()) {
                atom(1);
                return;
            }
            long min = digits(r.substring(n1, j));
            long max = min;
            if (r.charAt(j) == ',') {
                int n2 = ++j;
                while (j < r.length() && Character.isDigit(r.charAt(j))) j++;
                if (j > n2) max = digits(r.substring(n2, j));
            }
            if (j >= r.length() || r.charAt(j) != '}') {
                atom(1);
                return;
            }
            if (afterQuantifier) {
                i = j + 1; // a repeated repetition: RE2/J reports it
                return;
            }
            long times = Math.max(Math.max(min, max), 1);
            long last = lasts[depth];
            add(times(last, times - 1));
            lasts[depth] = times(last, times);
            add(1);
            quantifierAt = i;
            afterQuantifier = true;
            i = j + 1;
        }

        static long digits(String s) {
            return s.length() > 9 ? Integer.MAX_VALUE : Long.parseLong(s);
        }

        static long sat(long a, long b) {
            long s = a + b;
            return s < 0 ? Long.MAX_VALUE : s;
        }

        static long times(long a, long b) {
            if (a == 0 || b == 0) return 0;
            return a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
        }
    }
}
