package dev.magistrate.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.math.BigDecimal;

/**
 * One {@code --arg NAME=VALUE} of a call, typed by the one rule every command uses (policy eval,
 * warrant verify): {@code true}/{@code false} become booleans, integers of up to 18 digits a
 * {@link Long}, other decimals a {@link BigDecimal}, anything else stays text.
 */
record CallArgument(String name, Object value) {

    static Object typed(String v) {
        if (v.equals("true")) return Boolean.TRUE;
        if (v.equals("false")) return Boolean.FALSE;
        if (v.matches("-?\\d{1,18}")) return Long.parseLong(v);
        if (v.matches("-?\\d+(\\.\\d+)?")) return new BigDecimal(v);
        return v;
    }

    /** picocli's converter for {@code --arg}. */
    static final class Converter implements ITypeConverter<CallArgument> {
        @Override
        public CallArgument convert(String value) {
            int eq = value.indexOf('=');
            if (eq <= 0) throw new TypeConversionException("expected NAME=VALUE, not '" + value + "'");
            return new CallArgument(value.substring(0, eq), typed(value.substring(eq + 1)));
        }
    }

    /**
     * picocli's converter for {@code NAME=NUMBER} ({@code --signal}, {@code --window}): split at the last {@code =}, since a
     * window's text may hold anything but one.
     */
    static final class NamedNumber implements ITypeConverter<CallArgument> {
        @Override
        public CallArgument convert(String value) {
            int eq = value.lastIndexOf('=');
            if (eq <= 0) throw new TypeConversionException("expected NAME=NUMBER, not '" + value + "'");
            return new CallArgument(value.substring(0, eq).strip(), new NumberConverter().convert(value.substring(eq + 1).strip()));
        }
    }

    /** picocli's converter for a number typed like an argument ({@code --cost}): a Long or a BigDecimal. */
    static final class NumberConverter implements ITypeConverter<Object> {
        @Override
        public Object convert(String value) {
            Object n = typed(value);
            if (!(n instanceof Number)) throw new TypeConversionException("expected a number, not '" + value + "'");
            return n;
        }
    }
}
