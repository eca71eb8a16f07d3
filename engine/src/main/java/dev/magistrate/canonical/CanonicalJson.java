package dev.magistrate.canonical;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one canonical encoding of values that Magistrate hashes or signs (see docs/warrants.md,
 * "Canonical bytes"). JSON without whitespace; object members sorted by name (UTF-16 code units,
 * as RFC 8785); strings escaped as RFC 8785; numbers written as their exact decimal value in plain
 * notation without trailing zeros, so {@code 25}, {@code 25L} and {@code 25.0} encode alike.
 * The same value always gives the same bytes, on any JVM and in any language that follows the doc.
 */
public final class CanonicalJson {

    private static final int MAX_DEPTH = 64;
    /** Digits either side of the point; a bound keeps a hostile BigDecimal from costing megabytes. */
    private static final int MAX_NUMBER_DIGITS = 400;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {
    }

    /** The canonical JSON text of a value; throws {@link IllegalArgumentException} for values it cannot encode. */
    public static String encode(Object value) {
        StringBuilder sb = new StringBuilder(128);
        write(sb, value, 0);
        return sb.toString();
    }

    public static byte[] encodeUtf8(Object value) {
        return encode(value).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code "sha256:"} and the lower-case hex SHA-256 of the canonical UTF-8 bytes of the arguments object. */
    public static String argsDigest(Map<String, ?> args) {
        return "sha256:" + sha256Hex(encodeUtf8(args));
    }

    /**
     * One SHA-256 per thread, reused: {@code MessageDigest.getInstance} looks the provider up and constructs the digest
     * reflectively, about a fifth of a microsecond on every governed call (twice: the arguments and the result).
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    });

    public static String sha256Hex(byte[] bytes) {
        byte[] digest = SHA256.get().digest(bytes); // digest() resets it for the next use
        byte[] out = new byte[digest.length * 2];
        for (int i = 0; i < digest.length; i++) {
            out[2 * i] = (byte) HEX[(digest[i] >> 4) & 0xF];
            out[2 * i + 1] = (byte) HEX[digest[i] & 0xF];
        }
        return new String(out, StandardCharsets.ISO_8859_1); // one copy into a Latin-1 string; chars would be compressed first
    }

    private static void write(StringBuilder sb, Object value, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        if (value == null) {
            sb.append("null");
        } else if (value instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (value instanceof CharSequence || value instanceof Character) {
            appendString(sb, value.toString());
        } else if (value instanceof Number n) {
            sb.append(canonicalNumber(n));
        } else if (value instanceof Enum<?> e) {
            appendString(sb, e.name());
        } else if (value instanceof JsonNode node) {
            writeNode(sb, node, depth); // before Iterable: a JsonNode is one
        } else if (value instanceof Map<?, ?> map) {
            writeObject(sb, map, depth);
        } else if (value instanceof Iterable<?> it) {
            writeArray(sb, it.iterator(), depth);
        } else if (value.getClass().isArray()) {
            int n = Array.getLength(value);
            List<Object> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) items.add(Array.get(value, i));
            writeArray(sb, items.iterator(), depth);
        } else if (value instanceof Optional<?> o) {
            write(sb, o.orElse(null), depth + 1);
        } else if (value instanceof TemporalAccessor || value instanceof UUID || value instanceof java.net.URI
                || value instanceof java.nio.file.Path) {
            appendString(sb, value.toString());
        } else {
            // Records and beans: their Jackson tree, so the encoding follows their properties, not identity.
            JsonNode node;
            try {
                node = MAPPER.valueToTree(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot encode a " + value.getClass().getName() + " canonically: " + e.getMessage(), e);
            }
            writeNode(sb, node, depth);
        }
    }

    private static void writeObject(StringBuilder sb, Map<?, ?> map, int depth) {
        TreeMap<String, Object> sorted = new TreeMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Object k = e.getKey();
            if (!(k instanceof CharSequence || k instanceof Enum<?> || k instanceof Number || k instanceof Character)) {
                throw new IllegalArgumentException("map keys must be strings, enums or numbers, not " + (k == null ? "null" : k.getClass().getName()));
            }
            String name = k instanceof Enum<?> en ? en.name() : k instanceof Number num ? canonicalNumber(num) : k.toString();
            if (sorted.containsKey(name)) throw new IllegalArgumentException("two map keys encode to the same name '" + name + "'");
            sorted.put(name, e.getValue());
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : sorted.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            appendString(sb, e.getKey());
            sb.append(':');
            write(sb, e.getValue(), depth + 1);
        }
        sb.append('}');
    }

    private static void writeArray(StringBuilder sb, Iterator<?> it, int depth) {
        sb.append('[');
        boolean first = true;
        while (it.hasNext()) {
            if (!first) sb.append(',');
            first = false;
            write(sb, it.next(), depth + 1);
        }
        sb.append(']');
    }

    private static void writeNode(StringBuilder sb, JsonNode node, int depth) {
        if (node.isNull() || node.isMissingNode()) {
            sb.append("null");
        } else if (node.isBoolean()) {
            sb.append(node.booleanValue());
        } else if (node.isNumber()) {
            sb.append(canonicalNumber(node.numberValue()));
        } else if (node.isTextual()) {
            appendString(sb, node.textValue());
        } else if (node.isBinary()) {
            appendString(sb, node.asText());
        } else if (node.isArray()) {
            writeArray(sb, node.elements(), depth);
        } else if (node.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) fields.put(e.getKey(), e.getValue());
            writeObject(sb, fields, depth);
        } else {
            throw new IllegalArgumentException("cannot encode JSON node of type " + node.getNodeType());
        }
    }

    /** The exact decimal value, plain notation, no trailing zeros, no exponent; {@code -0} is {@code 0}. */
    public static String canonicalNumber(Number n) {
        BigDecimal d;
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof AtomicInteger || n instanceof AtomicLong) {
            return Long.toString(n.longValue());
        } else if (n instanceof BigInteger bi) {
            d = new BigDecimal(bi);
        } else if (n instanceof BigDecimal bd) {
            d = bd;
        } else if (n instanceof Double || n instanceof Float) {
            double v = n.doubleValue();
            if (Double.isNaN(v) || Double.isInfinite(v)) throw new IllegalArgumentException("numbers must be finite, not " + v);
            d = new BigDecimal(v); // exact binary value: the same on every JVM, unlike Double.toString before JDK 19
        } else {
            d = new BigDecimal(n.toString());
        }
        if (d.signum() == 0) return "0";
        d = d.stripTrailingZeros();
        if (d.precision() - d.scale() > MAX_NUMBER_DIGITS || d.scale() > MAX_NUMBER_DIGITS) {
            throw new IllegalArgumentException("number too large or too precise to encode canonically");
        }
        return d.toPlainString();
    }

    /** True when no character needs an escape or a surrogate check: the common case, copied in one go. */
    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c)) return false;
        }
        return true;
    }

    /** Appends one string in canonical form (quoted and escaped); for writers that emit known structures directly. */
    public static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        if (plain(s)) {
            sb.append(s).append('"');
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                            sb.append(c).append(s.charAt(++i));
                        } else {
                            throw new IllegalArgumentException("string holds a lone surrogate at index " + i + "; it has no UTF-8 form");
                        }
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
