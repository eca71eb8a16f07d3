package dev.magistrate.intent;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** An intent takes its builder's argument map rather than copying it (issue 14): the builder must never change it after. */
class IntentBuilderTest {

    @Test
    void aBuilderUsedAgainAfterBuildNeverChangesTheIntentItBuilt() {
        Intent.Builder b = Intent.builder("scale").agent("ops").arg("service", "web");
        Intent first = b.build();
        Intent second = b.arg("instances", 25).build();
        assertEquals(Map.of("service", "web"), first.args());
        assertEquals(Map.of("service", "web", "instances", 25), second.args());
        assertEquals("{\"service\":\"web\"}", first.argsCanonicalJson());
        assertEquals("{\"instances\":25,\"service\":\"web\"}", second.argsCanonicalJson());
        Intent third = b.build();
        assertEquals(second.args(), third.args());
        assertThrows(IllegalArgumentException.class, () -> b.arg("service", "api"), "an argument given twice is still refused");
        assertEquals(Map.of("service", "web"), first.args());
    }

}
