package dev.magistrate.warrant;

import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Differential test: the warrant's hand-written canonical writer against the generic canonical
 * encoder applied to the JSON form as docs/warrants.md describes it, on random warrants.
 */
class WarrantEncodingTest {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static Map<String, Object> reference(Warrant w, boolean withSignature) {
        Map<String, Object> execution = new LinkedHashMap<>();
        execution.put("action", w.action());
        execution.put("args_digest", w.argsDigest());
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Constraint c : w.constraints()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("argument", c.argument());
            m.put("op", c.op().wireName());
            m.put("value", c.op() == Constraint.Op.ONE_OF ? c.allowed() : c.bound());
            cs.add(m);
        }
        execution.put("constraints", cs);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("warrant_id", w.warrantId());
        m.put("version", 1);
        m.put("tier", w.tier().name());
        m.put("not_before", TIME.format(w.notBefore()));
        m.put("key_id", w.keyId());
        m.put("issued_at", TIME.format(w.issuedAt()));
        m.put("intent_id", w.intentId());
        m.put("expires_at", TIME.format(w.expiresAt()));
        m.put("execution", execution);
        m.put("approved_by", w.approvedBy());
        m.put("algorithm", w.algorithm().wireName());
        if (withSignature) m.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(w.signature()));
        return m;
    }

    @Test
    void handWrittenEncodingEqualsTheGenericCanonicalEncoding() {
        Random r = new Random(42);
        String[] texts = {"scale", "dé\"ploy\\", "tab\there", "emoji😀", "line\nbreak", "\u0001ctl", "plain"};
        for (int i = 0; i < 500; i++) {
            List<Constraint> cs = new ArrayList<>();
            int n = r.nextInt(3);
            for (int k = 0; k < n; k++) {
                cs.add(switch (r.nextInt(3)) {
                    case 0 -> Constraint.max(texts[r.nextInt(texts.length)], r.nextInt(1000) / (r.nextBoolean() ? 1 : 8.0));
                    case 1 -> Constraint.min("instances", -r.nextInt(50));
                    default -> Constraint.oneOf("region", List.of(texts[r.nextInt(texts.length)], "eu-west-1"));
                });
            }
            List<String> approvers = new ArrayList<>();
            for (int k = r.nextInt(3); k > 0; k--) approvers.add(texts[r.nextInt(texts.length)]);
            // Anywhere from year 0000 to 9999, the range the JSON form can spell.
            long year0 = -62_167_219_200_000L;
            long year9999end = 253_402_300_799_000L - 600_000L;
            Instant issued = Instant.ofEpochMilli(year0 + Math.floorMod(r.nextLong(), year9999end - year0));
            byte[] sig = new byte[r.nextBoolean() ? 32 : 64];
            r.nextBytes(sig);
            Warrant w = new Warrant("w-" + i, "i-" + i, texts[r.nextInt(texts.length)], "sha256:" + "ab".repeat(32), cs,
                    Tier.values()[r.nextInt(4)], approvers, issued, issued, issued.plusMillis(r.nextInt(600_000)), "k-" + r.nextInt(9),
                    SignatureAlgorithm.values()[r.nextInt(2)], sig);
            assertEquals(CanonicalJson.encode(reference(w, false)), new String(w.signingInput(), StandardCharsets.UTF_8), "warrant " + i);
            assertEquals(CanonicalJson.encode(reference(w, true)), w.toJson(), "warrant " + i);
            assertEquals(w, Warrant.fromJson(w.toJson()));
        }
    }
}
