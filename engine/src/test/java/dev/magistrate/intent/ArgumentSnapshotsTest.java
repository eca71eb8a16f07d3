package dev.magistrate.intent;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules every adapter (agent, Spring starter) decides by: which argument types can be governed, and how values are copied. */
class ArgumentSnapshotsTest {

    record Scale(String service, int instances) {
    }

    record Note(StringBuilder text) {
    }

    @Test
    void immutableAndCopiedTypesAreGovernedAndMutableOnesAreRefusedByName() {
        for (Class<?> ok : List.of(int.class, String.class, List.class, Map.class, Scale.class, String[].class, java.time.Instant.class)) {
            assertNull(ArgumentSnapshots.unsupported(ok), ok::getName);
        }
        assertTrue(ArgumentSnapshots.unsupported(ArrayList.class).startsWith("java.util.ArrayList can change after the policy has seen it"));
        assertTrue(ArgumentSnapshots.unsupported(Note.class).startsWith("java.lang.StringBuilder can change"), "a record's components count");
    }

    @Test
    void aSnapshotIsADeepImmutableCopy() {
        List<Object> inner = new ArrayList<>(List.of("i-1"));
        List<Object> outer = new ArrayList<>(List.of(inner));
        Object copy = ArgumentSnapshots.snapshot(outer);
        inner.add("i-prod");
        assertEquals(List.of(List.of("i-1")), copy);
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) copy).clear());
        assertEquals("x", ArgumentSnapshots.snapshot(new StringBuilder("x")), "text is copied as a string");
        assertThrows(IllegalArgumentException.class, () -> ArgumentSnapshots.snapshot(new java.util.concurrent.atomic.AtomicInteger(1)));
    }

    @Test
    void anActionHasOneSpellingAndLookalikesAreRefused() {
        assertEquals("scale_service", ActionNames.normalize("ｓｃａｌｅ_service"));
        assertNull(ActionNames.refusal("scale_service"));
        assertTrue(ActionNames.refusal(ActionNames.normalize("\u0455cale_service")).contains("is not an ASCII identifier"));
    }
}
