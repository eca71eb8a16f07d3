package dev.magistrate.warrant;

import dev.magistrate.intent.Intent;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property: no change to a signed warrant, of any field or any byte of its JSON form, is accepted.
 * Seeded, so a failure reproduces. Afterwards the untouched warrant still verifies, which shows that
 * no mutation was refused merely because an earlier one used the warrant up.
 */
class WarrantMutationTest {

    private static final long SEED = 0x5EED_2026L;
    private static final Map<String, Object> ARGS = Map.of("service", "web", "instances", 25);

    @TempDir
    Path dir;
    WarrantFixture f;
    final Random random = new Random(SEED);
    int cases;

    @BeforeEach
    void setUp() {
        f = new WarrantFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private List<Warrant> originals() {
        Intent intent = WarrantFixture.scaleIntent(25);
        return List.of(
                f.issuer.issue(intent, Tier.T0, List.of(), List.of(), Duration.ofMinutes(1)),
                f.issuer.issue(intent, Tier.T2, List.of("alice", "bob"), List.of(Constraint.max("instances", 25),
                        Constraint.oneOf("service", List.of("web", "api"))), Duration.ofMinutes(5)),
                new WarrantIssuer(f.keys, f.clock, SignatureAlgorithm.ED25519).issue(intent, Tier.T0, List.of(),
                        List.of(Constraint.min("instances", 1)), Duration.ofSeconds(30)));
    }

    private void assertRejected(Warrant mutated, Warrant original, String what) {
        cases++;
        assertNotEquals(original, mutated, "mutation " + what + " changed nothing");
        try {
            f.verifier.verifyAndConsume(mutated, "scale_service", ARGS);
            fail("accepted a warrant with " + what + ": " + mutated.toJson());
        } catch (WarrantRejectedException expected) {
            assertNotEquals(RejectionReason.REPLAYED, expected.reason(), what);
        }
    }

    private void assertRejected(byte[] json, String original, String what) {
        cases++;
        String text = new String(json, StandardCharsets.UTF_8);
        if (text.equals(original)) fail("mutation " + what + " changed nothing");
        try {
            f.verifier.verifyAndConsume(text, "scale_service", ARGS);
            fail("accepted " + what + ": " + text);
        } catch (WarrantRejectedException expected) {
            assertNotEquals(RejectionReason.REPLAYED, expected.reason(), what);
        }
    }

    @Test
    void everyFieldMutationIsRejected() {
        for (Warrant w : originals()) {
            List<UnaryOperator<Warrant>> mutations = fieldMutations(w);
            for (int round = 0; round < 120; round++) {
                for (int m = 0; m < mutations.size(); m++) {
                    assertRejected(mutations.get(m).apply(w), w, "field mutation #" + m + " round " + round);
                }
            }
            f.verifier.verifyAndConsume(w, "scale_service", ARGS);
        }
        assertTrue(cases >= 3000, "ran " + cases + " cases");
    }

    @Test
    void everyByteMutationIsRejected() {
        for (Warrant w : originals()) {
            String json = w.toJson();
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i++) {
                for (int k = 0; k < 3; k++) {
                    byte[] copy = bytes.clone();
                    byte b;
                    do {
                        b = k == 0 ? (byte) (bytes[i] ^ (1 << random.nextInt(8))) : (byte) random.nextInt(256);
                    } while (b == bytes[i]);
                    copy[i] = b;
                    assertRejected(copy, json, "byte " + i + " 0x" + Integer.toHexString(bytes[i] & 0xFF) + "->0x" + Integer.toHexString(b & 0xFF));
                }
                byte[] dropped = new byte[bytes.length - 1];
                System.arraycopy(bytes, 0, dropped, 0, i);
                System.arraycopy(bytes, i + 1, dropped, i, bytes.length - i - 1);
                assertRejected(dropped, json, "byte " + i + " dropped");
            }
            assertRejected(Arrays.copyOf(bytes, bytes.length / 2), json, "truncated");
            f.verifier.verifyAndConsume(json, "scale_service", ARGS);
        }
        assertTrue(cases >= 3000, "ran " + cases + " cases");
    }

    private List<UnaryOperator<Warrant>> fieldMutations(Warrant w) {
        List<UnaryOperator<Warrant>> list = new ArrayList<>();
        list.add(x -> copy(x, mutateId(x.warrantId()), null, null, null, null, null, null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, mutateId(x.intentId()), null, null, null, null, null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, mutateText(x.action()), null, null, null, null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, mutateDigest(x.argsDigest()), null, null, null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, mutateConstraints(x.constraints()), null, null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, otherTier(x.tier()), null, null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, mutateApprovers(x.approvedBy()), null, null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, shift(x.issuedAt()), null, null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, null, shift(x.notBefore()), null, null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, null, null, shift(x.expiresAt()), null, null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, null, null, null, otherKeyId(x.keyId()), null, null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, null, null, null, null, otherAlgorithm(x.algorithm()), null));
        list.add(x -> copy(x, null, null, null, null, null, null, null, null, null, null, null, null, mutateSignature(x.signature())));
        return list;
    }

    private static Warrant copy(Warrant w, String warrantId, String intentId, String action, String digest, List<Constraint> constraints,
                                Tier tier, List<String> approvedBy, Instant issuedAt, Instant notBefore, Instant expiresAt, String keyId,
                                SignatureAlgorithm algorithm, byte[] signature) {
        return new Warrant(or(warrantId, w.warrantId()), or(intentId, w.intentId()), or(action, w.action()), or(digest, w.argsDigest()),
                or(constraints, w.constraints()), or(tier, w.tier()), or(approvedBy, w.approvedBy()), or(issuedAt, w.issuedAt()),
                or(notBefore, w.notBefore()), or(expiresAt, w.expiresAt()), or(keyId, w.keyId()), or(algorithm, w.algorithm()),
                or(signature, w.signature()));
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }

    private static final String ID_CHARS = "abcdef0123456789-";

    private String mutateId(String id) {
        char[] c = id.toCharArray();
        int i = random.nextInt(c.length);
        char n;
        do {
            n = ID_CHARS.charAt(random.nextInt(ID_CHARS.length()));
        } while (n == c[i]);
        c[i] = n;
        return new String(c);
    }

    private String mutateText(String s) {
        return switch (random.nextInt(3)) {
            case 0 -> s + (char) ('a' + random.nextInt(26));
            case 1 -> s.substring(0, s.length() - 1);
            default -> s.toUpperCase();
        };
    }

    private String mutateDigest(String d) {
        char[] c = d.toCharArray();
        int i = 7 + random.nextInt(64);
        c[i] = c[i] == 'f' ? '0' : (char) (c[i] == '9' ? 'a' : c[i] + 1);
        return new String(c);
    }

    private List<Constraint> mutateConstraints(List<Constraint> cs) {
        List<Constraint> out = new ArrayList<>(cs);
        int choice = random.nextInt(4);
        if (out.isEmpty() || choice == 0) {
            out.add(Constraint.max("instances", 1 + random.nextInt(1000)));
        } else if (choice == 1) {
            out.remove(random.nextInt(out.size()));
        } else {
            int i = random.nextInt(out.size());
            Constraint c = out.get(i);
            out.set(i, c.op() == Constraint.Op.ONE_OF
                    ? Constraint.oneOf(c.argument(), choice == 2 ? List.of("web") : List.of("web", "api", "db"))
                    : choice == 2 ? new Constraint(c.argument(), c.op(), c.bound().add(BigDecimal.valueOf(1 + random.nextInt(50))), null)
                    : new Constraint(c.argument(), c.op() == Constraint.Op.MAX ? Constraint.Op.MIN : Constraint.Op.MAX, c.bound(), null));
        }
        return out;
    }

    private Tier otherTier(Tier t) {
        Tier n;
        do {
            n = Tier.values()[random.nextInt(4)];
        } while (n == t);
        return n;
    }

    private List<String> mutateApprovers(List<String> a) {
        List<String> out = new ArrayList<>(a);
        if (out.isEmpty() || random.nextBoolean()) {
            out.add(random.nextBoolean() ? "mallory" : "ops-agent");
        } else if (out.size() > 1 && random.nextBoolean()) {
            Collections.reverse(out);
        } else {
            out.remove(random.nextInt(out.size()));
        }
        return out;
    }

    private Instant shift(Instant t) {
        long ms = 1 + random.nextInt(3_600_000);
        return random.nextBoolean() ? t.plusMillis(ms) : t.minusMillis(ms);
    }

    private String otherKeyId(String keyId) {
        List<String> others = new ArrayList<>(f.keys.keyIds());
        others.remove(keyId);
        others.add(mutateId(keyId));
        return others.get(random.nextInt(others.size()));
    }

    private static SignatureAlgorithm otherAlgorithm(SignatureAlgorithm a) {
        return a == SignatureAlgorithm.ED25519 ? SignatureAlgorithm.HMAC_SHA256 : SignatureAlgorithm.ED25519;
    }

    private byte[] mutateSignature(byte[] sig) {
        byte[] out = sig.clone();
        switch (random.nextInt(3)) {
            case 0 -> out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> out = Arrays.copyOf(out, out.length - 1 - random.nextInt(out.length - 1));
            default -> {
                out = Arrays.copyOf(out, out.length + 1);
                out[out.length - 1] = (byte) random.nextInt(256);
            }
        }
        assertNotEquals(Arrays.toString(sig), Arrays.toString(out));
        return out;
    }
}
