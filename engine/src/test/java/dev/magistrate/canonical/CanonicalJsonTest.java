package dev.magistrate.canonical;

import dev.magistrate.intent.Intent;
import dev.magistrate.intent.TimeOrderedId;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CanonicalJsonTest {

    @Test
    void digestDoesNotDependOnArgumentOrder() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("service", "web");
        a.put("instances", 25);
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("instances", 25);
        b.put("service", "web");
        assertEquals(CanonicalJson.argsDigest(a), CanonicalJson.argsDigest(b));
        assertEquals("{\"instances\":25,\"service\":\"web\"}", CanonicalJson.encode(a));
    }

    @Test
    void equalNumbersEncodeAlikeWhateverTheirJavaType() {
        for (Object n : List.of(25, 25L, (short) 25, 25.0, 25.0f, new BigDecimal("25.000"), BigInteger.valueOf(25), new BigDecimal("2.5E+1"))) {
            assertEquals("25", CanonicalJson.encode(n), "for " + n.getClass());
        }
        assertEquals("0.1000000000000000055511151231257827021181583404541015625", CanonicalJson.encode(0.1));
        assertEquals("0.1", CanonicalJson.encode(new BigDecimal("0.10")));
        assertEquals("0", CanonicalJson.encode(-0.0));
        assertEquals("-12.5", CanonicalJson.encode(-12.5));
        assertEquals("1000", CanonicalJson.encode(new BigDecimal("1E+3")));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.encode(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.encode(Double.POSITIVE_INFINITY));
    }

    @Test
    void stringsAreEscapedAsRfc8785() {
        assertEquals("\"a\\\"b\\\\c\\n\\t\\u0001é€😀\"", CanonicalJson.encode("a\"b\\c\n\t\u0001é€😀"));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.encode("lone \ud800 surrogate"));
    }

    @Test
    void nestedValuesSortKeysAtEveryLevel() {
        Map<String, Object> inner = new TreeMap<>(Collections.reverseOrder());
        inner.put("z", true);
        inner.put("a", null);
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("list", List.of(3, "x", inner));
        outer.put("array", new int[]{1, 2});
        assertEquals("{\"array\":[1,2],\"list\":[3,\"x\",{\"a\":null,\"z\":true}]}", CanonicalJson.encode(outer));
    }

    @Test
    void recordsEncodeByTheirComponents() {
        record Target(String region, int count) {
        }
        assertEquals("{\"count\":3,\"region\":\"eu\"}", CanonicalJson.encode(new Target("eu", 3)));
    }

    @Test
    void cyclesAreRefusedNotLoopedOn() {
        List<Object> self = new ArrayList<>();
        self.add(self);
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.encode(self));
    }

    @Test
    void differentValuesGiveDifferentDigests() {
        assertNotEquals(CanonicalJson.argsDigest(Map.of("n", 25)), CanonicalJson.argsDigest(Map.of("n", "25")));
        assertNotEquals(CanonicalJson.argsDigest(Map.of("n", 25)), CanonicalJson.argsDigest(Map.of("n", 26)));
        assertTrue(CanonicalJson.argsDigest(Map.of()).matches("sha256:[0-9a-f]{64}"));
    }

    @Test
    void intentIdsAreUniqueAndTimeOrderedAcrossThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Set<String> all = ConcurrentHashMap.newKeySet();
        List<Future<List<String>>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            futures.add(pool.submit(() -> {
                List<String> mine = new ArrayList<>();
                for (int i = 0; i < 5000; i++) mine.add(TimeOrderedId.next());
                return mine;
            }));
        }
        for (Future<List<String>> f : futures) {
            List<String> mine = f.get();
            for (int i = 1; i < mine.size(); i++) assertTrue(mine.get(i - 1).compareTo(mine.get(i)) < 0, "ids from one thread increase");
            all.addAll(mine);
        }
        pool.shutdown();
        assertEquals(20_000, all.size());
        assertEquals('7', all.iterator().next().charAt(14), "UUID version 7");
    }

    @Test
    void intentKeepsArgumentOrderAndRejectsUnencodableArguments() {
        Intent intent = Intent.builder("scale").agent("agent-1").arg("service", "web").arg("instances", 25).estimatedCost(120).build();
        assertEquals(List.of("service", "instances"), new ArrayList<>(intent.args().keySet()));
        assertEquals(25, intent.argument("instances"));
        assertEquals(120, intent.cost());
        assertEquals(CanonicalJson.argsDigest(Map.of("instances", 25, "service", "web")), intent.argsDigest());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Intent.builder("scale").agent("a").arg("ratio", Double.NaN).build());
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Intent.builder("scale").build(), "agent is required");
        assertThrows(IllegalArgumentException.class, () -> Intent.builder("scale").agent("a").arg("x", 1).arg("x", 2));
    }
}
