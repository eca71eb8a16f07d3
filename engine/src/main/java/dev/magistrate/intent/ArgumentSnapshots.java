package dev.magistrate.intent;

import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Period;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Decide on a snapshot: the policy, the warrant and the method body see the same argument values.
 * Before a governed call is decided, each argument is replaced by a value no other thread can change:
 * immutable values as they are, collections and arrays by private immutable copies (deep), character
 * sequences by strings. A parameter type whose values cannot be copied like that (a mutable class of
 * the application, a concrete {@code ArrayList}) is refused when the method is instrumented, and its
 * calls are denied, rather than governed on values that may change after the grant.
 *
 * <p>One set of rules for every adapter: the agent checks declared types before their classes load
 * (with {@link #isKeptOrCopied} and {@link #mutable}), the Spring starter checks loaded classes
 * ({@link #unsupported}); both snapshot with {@link #snapshot}.
 */
public final class ArgumentSnapshots {

    private static final Set<String> VALUE_TYPES = Set.of(String.class.getName(), Boolean.class.getName(), Character.class.getName(),
            Byte.class.getName(), Short.class.getName(), Integer.class.getName(), Long.class.getName(), Float.class.getName(),
            Double.class.getName(), BigDecimal.class.getName(), BigInteger.class.getName(), UUID.class.getName());
    /** Declared types whose values are copied at call time: the copy is always one of these. */
    private static final Set<String> COPIED_TYPES = Set.of(Object.class.getName(), CharSequence.class.getName(), Number.class.getName(),
            Iterable.class.getName(), Collection.class.getName(), List.class.getName(), Set.class.getName(), Map.class.getName(),
            Serializable.class.getName(), Comparable.class.getName());

    private ArgumentSnapshots() {
    }

    /** Why values of this declared parameter type cannot be snapshotted, or null when they can. */
    public static String unsupported(Class<?> t) {
        if (t.isPrimitive() || t.isEnum() || isKeptOrCopied(t.getName())) return null;
        if (t.getPackageName().equals("java.time") && !t.isInterface()) return null;
        if (t.isArray()) return unsupported(t.getComponentType());
        if (t.isRecord()) {
            for (RecordComponent c : t.getRecordComponents()) {
                String why = unsupported(c.getType());
                if (why != null) return why;
            }
            return null;
        }
        return mutable(t.getName());
    }

    /** A declared type whose values are immutable, or are copied at call time into one of these types. */
    public static boolean isKeptOrCopied(String className) {
        return VALUE_TYPES.contains(className) || COPIED_TYPES.contains(className);
    }

    /** The refusal for a declared type whose values can change after the decision. */
    public static String mutable(String className) {
        return className + " can change after the policy has seen it (use immutable values: strings, numbers, records,"
                + " List, Set, Map, arrays)";
    }

    /** An immutable copy of one argument, deep; throws {@link IllegalArgumentException} for a value that cannot be copied. */
    public static Object snapshot(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Character || v instanceof Enum<?>
                || v instanceof UUID || v instanceof TemporalAccessor && v.getClass().getName().startsWith("java.time.")
                || v instanceof Duration || v instanceof Period) {
            return v;
        }
        Class<?> c = v.getClass();
        if (c == Byte.class || c == Short.class || c == Integer.class || c == Long.class || c == Float.class || c == Double.class
                || c == BigDecimal.class || c == BigInteger.class) {
            return v;
        }
        // A subclass of BigDecimal or BigInteger can carry mutable state: keep only its value.
        if (v instanceof BigDecimal d) return new BigDecimal(d.unscaledValue().toString()).scaleByPowerOfTen(-d.scale());
        if (v instanceof BigInteger i) return new BigInteger(i.toByteArray());
        if (v instanceof CharSequence s) return s.toString();
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) copy.put(snapshot(e.getKey()), snapshot(e.getValue()));
            return Collections.unmodifiableMap(copy);
        }
        if (v instanceof Set<?> s) {
            Set<Object> copy = new LinkedHashSet<>();
            for (Object o : s) copy.add(snapshot(o));
            return Collections.unmodifiableSet(copy);
        }
        if (v instanceof Collection<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (Object o : l) copy.add(snapshot(o));
            return Collections.unmodifiableList(copy);
        }
        if (c.isArray()) return arrayCopy(v);
        if (c.isRecord()) {
            for (var rc : c.getRecordComponents()) {
                try {
                    Object value = rc.getAccessor().invoke(v);
                    if (snapshot(value) != value) throw new IllegalArgumentException(c.getName() + "." + rc.getName() + " holds a mutable value");
                } catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException(c.getName() + " cannot be read to check it is immutable");
                }
            }
            return v;
        }
        throw new IllegalArgumentException(c.getName() + " can change after the policy has seen it");
    }

    private static Object arrayCopy(Object array) {
        if (array instanceof Object[] a) {
            Object[] copy = a.clone();
            for (int i = 0; i < copy.length; i++) {
                Object s = snapshot(copy[i]);
                if (s != copy[i] && !a.getClass().getComponentType().isInstance(s)) {
                    throw new IllegalArgumentException(a.getClass().getComponentType().getName() + "[] holds values that cannot be copied");
                }
                copy[i] = s;
            }
            return copy;
        }
        // A primitive array: a copy of its own is already immutable to everyone else.
        int length = Array.getLength(array);
        Object copy = Array.newInstance(array.getClass().getComponentType(), length);
        System.arraycopy(array, 0, copy, 0, length);
        return copy;
    }
}
