package dev.magistrate.policy.internal;

import com.google.re2j.Pattern;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The value semantics of the policy language, in one place: the compiled policy and the reference
 * interpreter both call these, and docs/policy-language.md describes them. No method throws for any
 * input, except arithmetic whose exact result would be absurdly large (see {@link #MAX_DIGITS}),
 * which fails the decision closed; {@code null} stands for a missing attribute, and every comparison
 * with it is false. Every method costs time linear in the size of its inputs.
 */
public final class Values {

    private static final int INCOMPARABLE = Integer.MIN_VALUE;
    private static final String[] WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

    private Values() {
    }

    // ---- truth ---------------------------------------------------------------------------------

    /**
     * True for {@code true} and for text that is the word {@code true} (any case): a {@code boolean} parameter and its
     * string form must not disagree, or {@code not flag} would grant what {@code flag} guards. A missing attribute,
     * other text and numbers are false.
     */
    public static boolean truthy(Object v) {
        return v == Boolean.TRUE || (v instanceof Boolean b ? b : Boolean.TRUE.equals(booleanText(v)));
    }

    /** A boolean, or text that is {@code true} or {@code false} in any case, as a boolean; null for anything else. */
    public static Boolean booleanOf(Object v) {
        return v instanceof Boolean b ? b : booleanText(v);
    }

    private static Boolean booleanText(Object v) {
        if (!(v instanceof CharSequence cs) || cs.length() < 4 || cs.length() > 5) return null;
        String s = cs.toString();
        if (s.equalsIgnoreCase("true")) return Boolean.TRUE;
        if (s.equalsIgnoreCase("false")) return Boolean.FALSE;
        return null;
    }

    // ---- equality and order ---------------------------------------------------------------------

    public static boolean eq(Object a, Object b) {
        if (a == null || b == null) return false;
        if (a instanceof String sa && b instanceof String sb) return sa.equals(sb);
        if (a instanceof Boolean || b instanceof Boolean) {
            // Text that is a boolean compares as one when the other side is a boolean, as numeric text does with numbers.
            Boolean x = booleanOf(a), y = booleanOf(b);
            return x != null && x.equals(y);
        }
        int c = compare(a, b);
        if (c != INCOMPARABLE) return c == 0;
        List<?> la = asList(a), lb = asList(b);
        if (la != null && lb != null) {
            if (la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    /** Fast path for comparing with a string literal. */
    public static boolean eq(Object a, String b) {
        if (a instanceof String s) return s.equals(b);
        return eq(a, (Object) b);
    }

    /** Fast path for comparing with an integer literal. */
    public static boolean eq(Object a, long b) {
        if (a instanceof Long || a instanceof Integer || a instanceof Short || a instanceof Byte) {
            return ((Number) a).longValue() == b;
        }
        return a != null && eq(a, (Object) b);
    }

    /** {@code a != b}: false when either side is missing, like every comparison. */
    public static boolean ne(Object a, Object b) {
        return a != null && b != null && !eq(a, b);
    }

    public static boolean lt(Object a, Object b) {
        int c = compare(a, b);
        return c != INCOMPARABLE && c < 0;
    }

    public static boolean le(Object a, Object b) {
        int c = compare(a, b);
        return c != INCOMPARABLE && c <= 0;
    }

    public static boolean gt(Object a, Object b) {
        int c = compare(a, b);
        return c != INCOMPARABLE && c > 0;
    }

    public static boolean ge(Object a, Object b) {
        int c = compare(a, b);
        return c != INCOMPARABLE && c >= 0;
    }

    public static boolean lt(Object a, long b) {
        if (a instanceof Long || a instanceof Integer) return ((Number) a).longValue() < b;
        return a != null && lt(a, (Object) b);
    }

    public static boolean le(Object a, long b) {
        if (a instanceof Long || a instanceof Integer) return ((Number) a).longValue() <= b;
        return a != null && le(a, (Object) b);
    }

    public static boolean gt(Object a, long b) {
        if (a instanceof Long || a instanceof Integer) return ((Number) a).longValue() > b;
        return a != null && gt(a, (Object) b);
    }

    public static boolean ge(Object a, long b) {
        if (a instanceof Long || a instanceof Integer) return ((Number) a).longValue() >= b;
        return a != null && ge(a, (Object) b);
    }

    /**
     * Orders two values, or answers {@link #INCOMPARABLE}: numbers numerically (a string that is a
     * number counts as one when the other side is a number), text as text, durations as durations.
     */
    private static int compare(Object a, Object b) {
        if (a == null || b == null) return INCOMPARABLE;
        if (a instanceof Number || b instanceof Number) {
            Object na = number(a), nb = number(b);
            if (na == null || nb == null) return INCOMPARABLE;
            if (na instanceof Long x && nb instanceof Long y) return Long.compare(x, y);
            return decimal(na).compareTo(decimal(nb));
        }
        String ta = text(a), tb = text(b);
        if (ta != null && tb != null) return Integer.signum(ta.compareTo(tb));
        if (a instanceof Duration da && b instanceof Duration db) return Integer.signum(da.compareTo(db));
        return INCOMPARABLE;
    }

    // ---- membership and text ----------------------------------------------------------------------

    public static boolean in(Object a, Object container) {
        if (a == null) return false;
        if (container instanceof Set<?> set && a instanceof String && set.contains(a)) return true;
        List<?> list = asList(container);
        if (list == null) return false;
        for (Object item : list) {
            if (eq(a, item)) return true;
        }
        return false;
    }

    /** {@code in} over a literal list of strings: a hash lookup for text, the general rule for anything else. */
    /**
     * {@code a in [...]} over literal strings. The set is a {@code HashSet} that only generated code holds and never
     * changes: its {@code contains} binds statically and inlines, where an unmodifiable wrapper's is shared with
     * every other user of the JDK's wrapper and is often called, not inlined.
     */
    public static boolean inTexts(Object a, HashSet<String> texts, List<?> all) {
        if (a instanceof String s) return texts.contains(s);
        return in(a, all);
    }

    public static boolean notInTexts(Object a, HashSet<String> texts, List<?> all) {
        if (a instanceof String s) return !texts.contains(s);
        return notIn(a, all);
    }

    public static boolean notIn(Object a, Object container) {
        return a != null && asList(container) != null && !in(a, container);
    }

    /** Text contains text, or a list contains an element, or a map contains a key. */
    public static boolean contains(Object a, Object b) {
        if (a == null || b == null) return false;
        String ta = text(a);
        if (ta != null) {
            String tb = text(b);
            return tb != null && containsText(ta, tb);
        }
        if (a instanceof Map<?, ?> map) {
            String key = text(b);
            return key != null && map.containsKey(key);
        }
        List<?> list = asList(a);
        if (list == null) return false;
        for (Object item : list) {
            if (eq(item, b)) return true;
        }
        return false;
    }

    /** Past this length of the text searched for, {@link String#contains} could take |text| x |needle| steps. */
    private static final int NAIVE_NEEDLE = 64;

    /** Text in text in time linear in both lengths (Knuth-Morris-Pratt when the needle is long). */
    static boolean containsText(String text, String needle) {
        if (needle.length() <= NAIVE_NEEDLE || needle.length() > text.length()) return text.contains(needle);
        int[] fallback = new int[needle.length()];
        for (int i = 1, k = 0; i < needle.length(); i++) {
            while (k > 0 && needle.charAt(i) != needle.charAt(k)) k = fallback[k - 1];
            if (needle.charAt(i) == needle.charAt(k)) k++;
            fallback[i] = k;
        }
        for (int i = 0, k = 0; i < text.length(); i++) {
            while (k > 0 && text.charAt(i) != needle.charAt(k)) k = fallback[k - 1];
            if (text.charAt(i) == needle.charAt(k)) k++;
            if (k == needle.length()) return true;
        }
        return false;
    }

    public static boolean startsWith(Object a, Object b) {
        String ta = text(a), tb = text(b);
        return ta != null && tb != null && ta.startsWith(tb);
    }

    public static boolean endsWith(Object a, Object b) {
        String ta = text(a), tb = text(b);
        return ta != null && tb != null && ta.endsWith(tb);
    }

    /**
     * A regex search: the pattern may match anywhere; anchor it with ^ and $ to match the whole text.
     * RE2/J runs in time linear in the text (see {@link LinearRegex}), whatever the text is.
     */
    public static boolean matches(Object a, Pattern pattern) {
        String t = text(a);
        return t != null && pattern.matcher(t).find();
    }

    // ---- arithmetic ------------------------------------------------------------------------------

    public static Object add(Object a, Object b) {
        Object x = number(a), y = number(b);
        if (x == null || y == null) return null;
        if (x instanceof Long l && y instanceof Long m) {
            long r = l + m;
            if (((l ^ r) & (m ^ r)) >= 0) return r;
        }
        return normal(spanChecked(decimal(x), decimal(y)).add(decimal(y)));
    }

    public static Object sub(Object a, Object b) {
        Object x = number(a), y = number(b);
        if (x == null || y == null) return null;
        if (x instanceof Long l && y instanceof Long m) {
            long r = l - m;
            if (((l ^ m) & (l ^ r)) >= 0) return r;
        }
        return normal(spanChecked(decimal(x), decimal(y)).subtract(decimal(y)));
    }

    /** The most digits an exact sum or difference may need; see {@link #spanChecked}. */
    static final int MAX_DIGITS = 10_000;

    /**
     * An exact sum holds every digit between the larger number's first and the smaller's last:
     * {@code 1E+99999999 + 1} would need a hundred million. An argument (a BigDecimal from a JSON parser) can
     * be that, so past {@link #MAX_DIGITS} this throws, and the decision fails closed instead of hanging.
     */
    private static BigDecimal spanChecked(BigDecimal a, BigDecimal b) {
        if (a.signum() == 0 || b.signum() == 0) return a;
        long top = Math.max((long) a.precision() - a.scale(), (long) b.precision() - b.scale());
        long bottom = Math.min(-(long) a.scale(), -(long) b.scale());
        if (top - bottom > MAX_DIGITS) {
            throw new ArithmeticException("an exact result would need more than " + MAX_DIGITS + " digits");
        }
        return a;
    }

    public static Object mul(Object a, Object b) {
        Object x = number(a), y = number(b);
        if (x == null || y == null) return null;
        if (x instanceof Long l && y instanceof Long m) {
            long hi = Math.multiplyHigh(l, m), lo = l * m;
            if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) return lo;
        }
        return normal(decimal(x).multiply(decimal(y)));
    }

    /** Exact where the quotient is finite, else 16 significant digits; division by zero is missing. */
    public static Object div(Object a, Object b) {
        Object x = number(a), y = number(b);
        if (x == null || y == null) return null;
        BigDecimal d = decimal(y);
        if (d.signum() == 0) return null;
        BigDecimal n = decimal(x);
        BigDecimal q;
        try {
            q = n.divide(d);
        } catch (ArithmeticException nonTerminating) {
            q = n.divide(d, MathContext.DECIMAL64);
        }
        return normal(q);
    }

    public static Object neg(Object a) {
        Object x = number(a);
        if (x == null) return null;
        if (x instanceof Long l && l != Long.MIN_VALUE) return -l;
        return normal(decimal(x).negate());
    }

    // ---- functions -------------------------------------------------------------------------------

    public static Object lower(Object a) {
        String t = text(a);
        return t == null ? null : t.toLowerCase(Locale.ROOT);
    }

    public static Object upper(Object a) {
        String t = text(a);
        return t == null ? null : t.toUpperCase(Locale.ROOT);
    }

    public static Object len(Object a) {
        if (a == null) return null;
        String t = text(a);
        if (t != null) return (long) t.codePointCount(0, t.length());
        if (a instanceof Map<?, ?> m) return (long) m.size();
        List<?> list = asList(a);
        return list == null ? null : (Object) (long) list.size();
    }

    public static Object abs(Object a) {
        Object x = number(a);
        if (x == null) return null;
        if (x instanceof Long l && l != Long.MIN_VALUE) return Math.abs(l);
        return normal(decimal(x).abs());
    }

    // ---- attributes ------------------------------------------------------------------------------

    /** The hour of day, 0 to 23, in the policy's time zone. */
    public static Object hour(Instant t, ZoneId zone) {
        if (t == null) return null;
        if (zone == ZoneOffset.UTC) return Math.floorMod(t.getEpochSecond(), 86_400L) / 3_600L;
        return (long) t.atZone(zone).getHour();
    }

    /** The weekday in lower case, {@code monday} to {@code sunday}, in the policy's time zone. */
    public static Object weekday(Instant t, ZoneId zone) {
        if (t == null) return null;
        DayOfWeek d = t.atZone(zone).getDayOfWeek();
        return WEEKDAYS[d.ordinal()];
    }

    private static final ClassValue<Map<String, MethodHandle>> ACCESSORS = new ClassValue<>() {
        @Override
        protected Map<String, MethodHandle> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };
    private static final MethodHandle ABSENT = MethodHandles.constant(Object.class, null);

    /**
     * A field of a nested argument: a map entry, a record component, a public getter
     * ({@code getX()}, {@code isX()}, {@code x()}) or a public field. Anything else is missing.
     */
    public static Object field(Object obj, String name) {
        if (obj == null) return null;
        if (obj instanceof Map<?, ?> map) return map.get(name);
        MethodHandle h = ACCESSORS.get(obj.getClass()).computeIfAbsent(name, n -> accessor(obj.getClass(), n));
        if (h == ABSENT) return null;
        try {
            return h.invoke(obj);
        } catch (Throwable e) {
            // An argument's getter that throws makes the attribute missing, never the decision fail.
            return null;
        }
    }

    private static MethodHandle accessor(Class<?> type, String name) {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        try {
            if (type.isRecord()) {
                for (RecordComponent c : type.getRecordComponents()) {
                    if (c.getName().equals(name) && Modifier.isPublic(type.getModifiers())) {
                        return generic(lookup.unreflect(c.getAccessor()));
                    }
                }
            }
            String cap = name.isEmpty() ? name : Character.toUpperCase(name.charAt(0)) + name.substring(1);
            for (String candidate : new String[]{"get" + cap, "is" + cap, name}) {
                try {
                    Method m = type.getMethod(candidate);
                    if (m.getReturnType() != void.class && Modifier.isPublic(m.getDeclaringClass().getModifiers())
                            && !Modifier.isStatic(m.getModifiers())) {
                        return generic(lookup.unreflect(m));
                    }
                } catch (NoSuchMethodException ignored) {
                    // try the next spelling
                }
            }
            Field f = type.getField(name);
            if (!Modifier.isStatic(f.getModifiers()) && Modifier.isPublic(f.getDeclaringClass().getModifiers())) {
                return generic(lookup.unreflectGetter(f));
            }
        } catch (NoSuchFieldException | IllegalAccessException | SecurityException ignored) {
            // not readable: the attribute is missing
        }
        return ABSENT;
    }

    private static MethodHandle generic(MethodHandle h) {
        return h.asType(MethodType.methodType(Object.class, Object.class));
    }

    // ---- conversions -----------------------------------------------------------------------------

    /** A Long or a BigDecimal for anything numeric (a numeric string included), else {@code null}. */
    public static Object number(Object v) {
        if (v instanceof Long) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof BigDecimal) return v;
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? new BigDecimal(d) : null;
        }
        if (v instanceof BigInteger bi) return bi.bitLength() < 64 ? (Object) bi.longValue() : new BigDecimal(bi);
        if (v instanceof Number n) return parseNumber(n.toString());
        if (v instanceof String s) return parseNumber(s);
        return null;
    }

    private static Object parseNumber(String s) {
        String t = s.strip();
        if (t.isEmpty() || t.length() > 400) return null;
        char c = t.charAt(0);
        if (!(Character.isDigit(c) || c == '-' || c == '+' || c == '.')) return null;
        for (int i = 0; i < t.length(); i++) {
            char ch = t.charAt(i);
            // Only plain decimal notation: "1e9999" would cost a huge BigDecimal.
            if (!(Character.isDigit(ch) || ch == '.' || ch == '-' || ch == '+')) return null;
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException notLong) {
            try {
                return new BigDecimal(t);
            } catch (NumberFormatException notNumber) {
                return null;
            }
        }
    }

    private static BigDecimal decimal(Object number) {
        return number instanceof Long l ? BigDecimal.valueOf(l) : (BigDecimal) number;
    }

    /** Integral results become Longs again so that {@code 2.5 * 2 == 5} and the fast paths apply. */
    private static Object normal(BigDecimal d) {
        if (d.signum() == 0) return 0L;
        if (d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException tooBig) {
                return d;
            }
        }
        return d;
    }

    /** Text for strings, characters and enum constants (by name); {@code null} for anything else. */
    static String text(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Enum<?> e) return e.name();
        if (v instanceof Character || v instanceof CharSequence) return v.toString();
        return null;
    }

    private static List<?> asList(Object v) {
        if (v instanceof List<?> l) return l;
        if (v instanceof Collection<?> c) return List.copyOf(c.contains(null) ? nonNull(c) : c);
        if (v != null && v.getClass().isArray()) {
            int n = Array.getLength(v);
            Object[] out = new Object[n];
            for (int i = 0; i < n; i++) out[i] = Array.get(v, i);
            return Arrays.asList(out);
        }
        return null;
    }

    private static Collection<?> nonNull(Collection<?> c) {
        return c.stream().filter(Objects::nonNull).toList();
    }
}
