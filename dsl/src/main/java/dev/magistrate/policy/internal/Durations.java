package dev.magistrate.policy.internal;

import java.time.Duration;

/** Duration text as policies write it: {@code 30m}, {@code 2h}, {@code 1h30m}, {@code 45s}, {@code 7d}, {@code 500ms}. */
public final class Durations {

    private Durations() {
    }

    /** Parses a whole duration text, or returns {@code null} when it is not one. */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) return null;
        Duration total = Duration.ZERO;
        int i = 0;
        while (i < text.length()) {
            int numStart = i;
            while (i < text.length() && Character.isDigit(text.charAt(i))) i++;
            if (i == numStart) return null;
            int unitStart = i;
            while (i < text.length() && Character.isLetter(text.charAt(i))) i++;
            long amount;
            try {
                amount = Long.parseLong(text.substring(numStart, unitStart));
            } catch (NumberFormatException e) {
                return null;
            }
            Duration part = unit(amount, text.substring(unitStart, i));
            if (part == null) return null;
            total = total.plus(part);
        }
        return total;
    }

    static Duration unit(long amount, String unit) {
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> null;
            };
        } catch (ArithmeticException e) {
            return null;
        }
    }

    /** The shortest text that parses back to the same duration, e.g. {@code 1h30m}. */
    public static String format(Duration d) {
        if (d.isZero()) return "0s";
        StringBuilder sb = new StringBuilder();
        long days = d.toDays();
        if (days > 0) sb.append(days).append('d');
        if (d.toHoursPart() > 0) sb.append(d.toHoursPart()).append('h');
        if (d.toMinutesPart() > 0) sb.append(d.toMinutesPart()).append('m');
        if (d.toSecondsPart() > 0) sb.append(d.toSecondsPart()).append('s');
        if (d.toMillisPart() > 0) sb.append(d.toMillisPart()).append("ms");
        return sb.toString();
    }
}
