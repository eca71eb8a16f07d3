package dev.magistrate.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one rule that types --arg values, for policy eval and warrant verify alike. */
class CallArgumentTest {

    final CallArgument.Converter arg = new CallArgument.Converter();

    @Test
    void numbersAndBooleansArePassedAsSuchAndEverythingElseAsText() {
        assertEquals(new CallArgument("n", 5L), arg.convert("n=5"));
        assertEquals(new CallArgument("n", -5L), arg.convert("n=-5"));
        assertEquals(new CallArgument("amount", new BigDecimal("12.50")), arg.convert("amount=12.50"));
        assertEquals(new CallArgument("big", new BigDecimal("1234567890123456789")), arg.convert("big=1234567890123456789"));
        assertEquals(new CallArgument("dry", Boolean.TRUE), arg.convert("dry=true"));
        assertEquals(new CallArgument("service", "web"), arg.convert("service=web"));
        assertEquals(new CallArgument("sql", "a=b"), arg.convert("sql=a=b"));
        assertEquals(new CallArgument("empty", ""), arg.convert("empty="));
        assertEquals(new CallArgument("e", "1e5"), arg.convert("e=1e5"));
    }

    @Test
    void withoutANameItIsRefused() {
        assertThrows(TypeConversionException.class, () -> arg.convert("novalue"));
        assertThrows(TypeConversionException.class, () -> arg.convert("=5"));
        assertThrows(TypeConversionException.class, () -> new CallArgument.NumberConverter().convert("lots"));
        assertEquals(47000L, new CallArgument.NumberConverter().convert("47000"));
    }
}
