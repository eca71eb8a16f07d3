package dev.magistrate.governor;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An approver's changes to a call's arguments ("instances = 25"), checked and converted. An edit may only
 * replace a value with another of the same kind: a number with a number (a whole number where the requested
 * one was whole), text with text, a boolean with a boolean, an enum constant with another constant's name.
 * Each new value takes the Java type of the value it replaces, so the governed method can receive it as is.
 * Lists, maps, records, arrays and {@code null} values are not editable: no rule would say what "the same
 * type" is for them without guessing.
 */
final class ArgumentEdits {

    private ArgumentEdits() {
    }

    /** The arguments with the edits applied, in their original order; throws {@link IllegalArgumentException} with the reason. */
    static Map<String, Object> apply(Map<String, Object> current, Map<String, Object> edits) {
        Map<String, Object> edited = new LinkedHashMap<>(current);
        for (Map.Entry<String, Object> e : edits.entrySet()) {
            String name = e.getKey();
            if (!current.containsKey(name)) {
                throw new IllegalArgumentException("the call has no argument '" + name + "' (its arguments: " + current.keySet() + ")");
            }
            edited.put(name, convert(name, current.get(name), e.getValue()));
        }
        return edited;
    }

    private static Object convert(String name, Object requested, Object edit) {
        if (edit == null) throw new IllegalArgumentException("'" + name + "' cannot be edited to null");
        if (requested instanceof Number n) {
            if (!(edit instanceof Number m)) throw wrongKind(name, "a number", edit);
            return sameNumberType(name, n, decimal(m));
        }
        if (requested instanceof String) {
            if (edit instanceof String s) return s;
            throw wrongKind(name, "text", edit);
        }
        if (requested instanceof Boolean) {
            if (edit instanceof Boolean b) return b;
            throw wrongKind(name, "true or false", edit);
        }
        if (requested instanceof Enum<?> constant) {
            if (!(edit instanceof String s)) throw wrongKind(name, "the name of a " + constant.getDeclaringClass().getSimpleName(), edit);
            for (Object c : constant.getDeclaringClass().getEnumConstants()) {
                if (((Enum<?>) c).name().equals(s)) return c;
            }
            throw new IllegalArgumentException("'" + name + "' is a " + constant.getDeclaringClass().getSimpleName() + ", which has no constant '" + s + "'");
        }
        String kind = requested == null ? "its requested value is null, so its type is unknown"
                : requested instanceof java.util.Collection<?> ? "it is a collection"
                : requested instanceof Map<?, ?> ? "it is a map"
                : requested.getClass().isArray() ? "it is an array"
                : "it is a " + requested.getClass().getSimpleName();
        throw new IllegalArgumentException("'" + name + "' cannot be edited: " + kind + " (only numbers, text, booleans and enums can be)");
    }

    private static BigDecimal decimal(Number m) {
        if (m instanceof BigDecimal d) return d;
        if (m instanceof BigInteger i) return new BigDecimal(i);
        if (m instanceof Double || m instanceof Float) {
            double d = m.doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException("not a finite number: " + m);
            return BigDecimal.valueOf(d);
        }
        return BigDecimal.valueOf(m.longValue());
    }

    /** The edit as the requested value's own type: whole numbers stay whole and within their type's range. */
    private static Number sameNumberType(String name, Number requested, BigDecimal value) {
        if (requested instanceof BigDecimal) return value;
        if (requested instanceof Double) return checkedDouble(name, value);
        if (requested instanceof Float) return (float) checkedDouble(name, value);
        BigInteger whole;
        try {
            whole = value.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + name + "' is a whole number (" + requested.getClass().getSimpleName() + "), not "
                    + value.toPlainString());
        }
        if (requested instanceof BigInteger) return whole;
        long min, max;
        if (requested instanceof Long) { min = Long.MIN_VALUE; max = Long.MAX_VALUE; }
        else if (requested instanceof Integer) { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
        else if (requested instanceof Short) { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
        else if (requested instanceof Byte) { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
        else throw new IllegalArgumentException("'" + name + "' cannot be edited: it is a " + requested.getClass().getSimpleName());
        if (whole.compareTo(BigInteger.valueOf(min)) < 0 || whole.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException("'" + name + "' is a " + requested.getClass().getSimpleName() + "; " + whole + " is out of its range");
        }
        long v = whole.longValue();
        if (requested instanceof Long) return v;
        if (requested instanceof Integer) return (int) v;
        if (requested instanceof Short) return (short) v;
        return (byte) v;
    }

    private static double checkedDouble(String name, BigDecimal value) {
        double d = value.doubleValue();
        if (!Double.isFinite(d)) throw new IllegalArgumentException("'" + name + "': " + value + " is out of range");
        return d;
    }

    private static IllegalArgumentException wrongKind(String name, String expected, Object edit) {
        return new IllegalArgumentException("'" + name + "' takes " + expected + ", not " + describe(edit)
                + " (an edit keeps the argument's type)");
    }

    private static String describe(Object v) {
        return v instanceof String s ? "the text \"" + s + "\"" : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " " + v;
    }
}
