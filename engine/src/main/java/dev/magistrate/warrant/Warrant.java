package dev.magistrate.warrant;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.Tier;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Permission to run one call, once: which action, with exactly which arguments (by digest), under
 * which approver constraints, between which instants, signed by which key. Immutable. The JSON form
 * and the signed bytes are specified in docs/warrants.md; {@link #toJson()} and {@link #fromJson(String)}
 * round-trip losslessly. A warrant that parses is not yet trusted: only {@link WarrantVerifier} says so.
 */
public final class Warrant {

    public static final int FORMAT_VERSION = 1;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");
    private static final Set<String> TOP_FIELDS = Set.of("version", "warrant_id", "intent_id", "tier", "issued_at", "not_before",
            "expires_at", "approved_by", "execution", "key_id", "algorithm", "signature");
    private static final Set<String> EXECUTION_FIELDS = Set.of("action", "args_digest", "constraints");
    private static final Set<String> CONSTRAINT_FIELDS = Set.of("argument", "op", "value");
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final String warrantId;
    private final String intentId;
    private final String action;
    private final String argsDigest;
    private final List<Constraint> constraints;
    private final Tier tier;
    private final List<String> approvedBy;
    private final Instant issuedAt;
    private final Instant notBefore;
    private final Instant expiresAt;
    private final String keyId;
    private final SignatureAlgorithm algorithm;
    private final byte[] signature;

    /** All fields; instants are kept to the millisecond, the precision of the JSON form. */
    public Warrant(String warrantId, String intentId, String action, String argsDigest, List<Constraint> constraints, Tier tier,
                   List<String> approvedBy, Instant issuedAt, Instant notBefore, Instant expiresAt, String keyId,
                   SignatureAlgorithm algorithm, byte[] signature) {
        this.warrantId = requireId(warrantId, "warrant_id");
        this.intentId = requireId(intentId, "intent_id");
        this.action = Objects.requireNonNull(action, "action");
        this.argsDigest = Objects.requireNonNull(argsDigest, "args_digest");
        this.constraints = List.copyOf(constraints);
        this.tier = Objects.requireNonNull(tier, "tier");
        this.approvedBy = List.copyOf(approvedBy);
        this.issuedAt = issuedAt.truncatedTo(ChronoUnit.MILLIS);
        this.notBefore = notBefore.truncatedTo(ChronoUnit.MILLIS);
        this.expiresAt = expiresAt.truncatedTo(ChronoUnit.MILLIS);
        for (Instant t : new Instant[]{this.issuedAt, this.notBefore, this.expiresAt}) {
            if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) throw new IllegalArgumentException("warrant times must lie in the years 0000 to 9999, got " + t);
        }
        this.keyId = requireId(keyId, "key_id");
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.signature = signature.clone();
    }

    private static String requireId(String id, String field) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException(field + " must be 1 to 128 of [A-Za-z0-9._:-], got " + quote(id));
        }
        return id;
    }

    public String warrantId() { return warrantId; }

    public String intentId() { return intentId; }

    public String action() { return action; }

    /** {@code sha256:<hex>} of the canonical arguments (docs/warrants.md). */
    public String argsDigest() { return argsDigest; }

    public List<Constraint> constraints() { return constraints; }

    public Tier tier() { return tier; }

    /** Approver ids, in the order their approvals were accepted; empty for T0. */
    public List<String> approvedBy() { return approvedBy; }

    public Instant issuedAt() { return issuedAt; }

    public Instant notBefore() { return notBefore; }

    public Instant expiresAt() { return expiresAt; }

    public String keyId() { return keyId; }

    public SignatureAlgorithm algorithm() { return algorithm; }

    public byte[] signature() { return signature.clone(); }

    /** The bytes the signature covers: the canonical JSON of every field except {@code signature}. */
    public byte[] signingInput() {
        return signingInput(warrantId, intentId, action, argsDigest, constraints, tier, approvedBy, issuedAt, notBefore, expiresAt,
                keyId, algorithm);
    }

    static byte[] signingInput(String warrantId, String intentId, String action, String argsDigest, List<Constraint> constraints,
                               Tier tier, List<String> approvedBy, Instant issuedAt, Instant notBefore, Instant expiresAt,
                               String keyId, SignatureAlgorithm algorithm) {
        StringBuilder sb = new StringBuilder(512);
        write(sb, warrantId, intentId, action, argsDigest, constraints, tier, approvedBy, issuedAt, notBefore, expiresAt, keyId, algorithm, null);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes the canonical JSON (docs/warrants.md) directly, members already in sorted order: the
     * generic encoder gives the same bytes (a test checks that) but costs several times as much,
     * and this runs on every T0 call.
     */
    private static void write(StringBuilder sb, String warrantId, String intentId, String action, String argsDigest,
                              List<Constraint> constraints, Tier tier, List<String> approvedBy, Instant issuedAt, Instant notBefore,
                              Instant expiresAt, String keyId, SignatureAlgorithm algorithm, String signature) {
        sb.append("{\"algorithm\":");
        CanonicalJson.appendString(sb, algorithm.wireName());
        sb.append(",\"approved_by\":[");
        for (int i = 0; i < approvedBy.size(); i++) {
            if (i > 0) sb.append(',');
            CanonicalJson.appendString(sb, approvedBy.get(i));
        }
        sb.append("],\"execution\":{\"action\":");
        CanonicalJson.appendString(sb, action);
        sb.append(",\"args_digest\":");
        CanonicalJson.appendString(sb, argsDigest);
        sb.append(",\"constraints\":[");
        for (int i = 0; i < constraints.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(CanonicalJson.encode(constraints.get(i).toJsonMap()));
        }
        sb.append("]},\"expires_at\":\"");
        appendTime(sb, expiresAt);
        sb.append("\",\"intent_id\":");
        CanonicalJson.appendString(sb, intentId);
        sb.append(",\"issued_at\":\"");
        appendTime(sb, issuedAt);
        sb.append("\",\"key_id\":");
        CanonicalJson.appendString(sb, keyId);
        sb.append(",\"not_before\":\"");
        appendTime(sb, notBefore);
        sb.append('"');
        if (signature != null) {
            sb.append(",\"signature\":");
            CanonicalJson.appendString(sb, signature);
        }
        sb.append(",\"tier\":");
        CanonicalJson.appendString(sb, tier.name());
        sb.append(",\"version\":").append(FORMAT_VERSION).append(",\"warrant_id\":");
        CanonicalJson.appendString(sb, warrantId);
        sb.append('}');
    }

    /** An instant as the JSON form writes it: {@code YYYY-MM-DDTHH:MM:SS.mmmZ}, UTC, milliseconds. */
    public static String timestamp(Instant t) {
        StringBuilder sb = new StringBuilder(24);
        appendTime(sb, t.truncatedTo(ChronoUnit.MILLIS));
        return sb.toString();
    }

    /** {@code YYYY-MM-DDTHH:MM:SS.mmmZ}, as {@link #TIME} formats it, without the formatter's cost. */
    private static void appendTime(StringBuilder sb, Instant t) {
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC);
        pad(sb, d.getYear(), 4).append('-');
        pad(sb, d.getMonthValue(), 2).append('-');
        pad(sb, d.getDayOfMonth(), 2).append('T');
        pad(sb, d.getHour(), 2).append(':');
        pad(sb, d.getMinute(), 2).append(':');
        pad(sb, d.getSecond(), 2).append('.');
        pad(sb, d.getNano() / 1_000_000, 3).append('Z');
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) sb.append('0');
        return sb.append(s);
    }

    /** The canonical JSON form, signature included (base64url without padding). */
    public String toJson() {
        StringBuilder sb = new StringBuilder(600);
        write(sb, warrantId, intentId, action, argsDigest, constraints, tier, approvedBy, issuedAt, notBefore, expiresAt, keyId, algorithm,
                Base64.getUrlEncoder().withoutPadding().encodeToString(signature));
        return sb.toString();
    }

    /**
     * Parses the JSON form strictly: every field present, no other field, no duplicate, each value in
     * its one canonical spelling. Throws {@link WarrantRejectedException} ({@link RejectionReason#MALFORMED})
     * naming the field at fault.
     */
    public static Warrant fromJson(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw malformed(null, "not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""));
        }
        if (root == null || !root.isObject()) throw malformed(null, "a warrant is a JSON object");
        String id = root.path("warrant_id").isTextual() ? root.get("warrant_id").textValue() : null;
        try {
            requireExactly(root, TOP_FIELDS, "");
            JsonNode version = root.get("version");
            if (!version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() != FORMAT_VERSION) {
                throw new IllegalArgumentException("version: must be " + FORMAT_VERSION);
            }
            JsonNode exec = root.get("execution");
            if (!exec.isObject()) throw new IllegalArgumentException("execution: must be an object");
            requireExactly(exec, EXECUTION_FIELDS, "execution.");
            String digest = text(exec, "args_digest", "execution.");
            if (!DIGEST.matcher(digest).matches()) throw new IllegalArgumentException("execution.args_digest: must be sha256: and 64 lower-case hex digits");
            List<Constraint> constraints = new ArrayList<>();
            JsonNode cs = exec.get("constraints");
            if (!cs.isArray()) throw new IllegalArgumentException("execution.constraints: must be an array");
            for (int i = 0; i < cs.size(); i++) constraints.add(constraint(cs.get(i), "execution.constraints[" + i + "]."));
            JsonNode approvers = root.get("approved_by");
            if (!approvers.isArray()) throw new IllegalArgumentException("approved_by: must be an array of strings");
            List<String> approvedBy = new ArrayList<>();
            for (JsonNode a : approvers) {
                if (!a.isTextual()) throw new IllegalArgumentException("approved_by: must be an array of strings");
                approvedBy.add(a.textValue());
            }
            String tierText = text(root, "tier", "");
            Tier tier;
            try {
                tier = Tier.valueOf(tierText);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tier: must be T0, T1, T2 or T3, got " + quote(tierText));
            }
            SignatureAlgorithm algorithm;
            try {
                algorithm = SignatureAlgorithm.fromWireName(text(root, "algorithm", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("algorithm: " + e.getMessage());
            }
            String sigText = text(root, "signature", "");
            byte[] signature;
            try {
                signature = Base64.getUrlDecoder().decode(sigText);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("signature: not base64url");
            }
            // One spelling per signature: padding or stray low bits would let a different text pass as the same warrant.
            if (!Base64.getUrlEncoder().withoutPadding().encodeToString(signature).equals(sigText)) {
                throw new IllegalArgumentException("signature: not canonical base64url (no padding, unused bits zero)");
            }
            return new Warrant(text(root, "warrant_id", ""), text(root, "intent_id", ""), text(exec, "action", "execution."), digest,
                    constraints, tier, approvedBy, time(root, "issued_at"), time(root, "not_before"), time(root, "expires_at"),
                    text(root, "key_id", ""), algorithm, signature);
        } catch (IllegalArgumentException e) {
            throw malformed(id, e.getMessage());
        }
    }

    private static WarrantRejectedException malformed(String id, String detail) {
        return new WarrantRejectedException(RejectionReason.MALFORMED, id != null && ID.matcher(id).matches() ? id : null, detail);
    }

    private static void requireExactly(JsonNode node, Set<String> expected, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!expected.contains(name)) throw new IllegalArgumentException(prefix + quote(name) + ": unknown field");
        }
        for (String name : expected) {
            if (!node.has(name)) throw new IllegalArgumentException(prefix + name + ": missing");
        }
    }

    private static String text(JsonNode node, String field, String prefix) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(prefix + field + ": must be a string");
        return v.textValue();
    }

    private static Instant time(JsonNode root, String field) {
        String s = text(root, field, "");
        if (!TIMESTAMP.matcher(s).matches()) {
            throw new IllegalArgumentException(field + ": must be UTC with milliseconds, like 2026-01-31T09:30:00.000Z, got " + quote(s));
        }
        Instant t;
        try {
            t = Instant.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(field + ": not a valid instant: " + quote(s));
        }
        if (!TIME.format(t).equals(s)) throw new IllegalArgumentException(field + ": not in canonical form: " + quote(s));
        return t;
    }

    private static Constraint constraint(JsonNode c, String prefix) {
        if (!c.isObject()) throw new IllegalArgumentException(prefix.substring(0, prefix.length() - 1) + ": must be an object");
        requireExactly(c, CONSTRAINT_FIELDS, prefix);
        String argument = text(c, "argument", prefix);
        Constraint.Op op;
        try {
            op = Constraint.Op.fromWireName(text(c, "op", prefix));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + "op: " + e.getMessage());
        }
        JsonNode value = c.get("value");
        if (op == Constraint.Op.ONE_OF) {
            if (!value.isArray()) throw new IllegalArgumentException(prefix + "value: one_of takes an array of strings");
            List<String> allowed = new ArrayList<>();
            for (JsonNode v : value) {
                if (!v.isTextual()) throw new IllegalArgumentException(prefix + "value: one_of takes an array of strings");
                allowed.add(v.textValue());
            }
            return Constraint.oneOf(argument, allowed);
        }
        if (!value.isNumber()) throw new IllegalArgumentException(prefix + "value: " + op.wireName() + " takes a number");
        // Signed bytes are recomputed from the value, so 25 and 25.0 here mean, and sign as, the same bound.
        return new Constraint(argument, op, value.decimalValue(), null);
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Warrant w)) return false;
        return Arrays.equals(signingInput(), w.signingInput()) && Arrays.equals(signature, w.signature);
    }

    @Override
    public int hashCode() {
        return warrantId.hashCode();
    }

    /** Identifies the warrant; leaves out the signature (it is not secret, but it is noise in logs). */
    @Override
    public String toString() {
        return "Warrant[" + warrantId + " " + action + " " + tier + " for intent " + intentId + " by " + approvedBy + ", until "
                + TIME.format(expiresAt) + ", " + algorithm.wireName() + " key " + keyId + "]";
    }

}
