package dev.magistrate.policy.internal;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * For reasoning about conditions without a call ({@code PolicyLint}): which literals {@link Values#eq} cannot tell
 * apart. If {@code eq(x, a)} and {@code eq(x, b)} both hold for some value {@code x}, then {@code of(a).equals(of(b))}:
 * numbers and numeric text by value, booleans and boolean text by truth, other text exactly.
 */
public final class EqualityClass {

    private EqualityClass() {
    }

    /** The class of a non-null literal (a string, Long, BigDecimal, Boolean or Duration). */
    public static String of(Object literal) {
        BigDecimal n = number(literal);
        if (n != null) return "number:" + n.stripTrailingZeros().toPlainString();
        Boolean b = Values.booleanOf(literal);
        if (b != null) return "boolean:" + b;
        if (literal instanceof Duration d) return "duration:" + d;
        return "text:" + literal;
    }

    /** A number literal or numeric text as a decimal, else null. */
    public static BigDecimal number(Object literal) {
        Object n = Values.number(literal);
        return n instanceof Long l ? BigDecimal.valueOf(l) : (BigDecimal) n;
    }
}
