package dev.magistrate.audit;

import dev.magistrate.canonical.CanonicalJson;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The canonical bytes of one audit entry: the exact bytes that are stored, hashed into the Merkle
 * tree and linked by the hash chain. Compact UTF-8 JSON with a fixed key order:
 * {@code {"index":I,"prev":"<hex leaf hash of entry I-1>","type":"...","intent_id":"...",
 * "time":"yyyy-MM-ddTHH:mm:ss.uuuuuuZ","fields":{...}}}, fields in insertion order, no whitespace.
 * See docs/audit-trail.md. Decoding is strict: bytes that do not re-encode to themselves are rejected.
 */
public final class CanonicalEntry {

    /** The {@code prev} value of entry 0: 32 zero bytes. */
    public static final byte[] NO_PREVIOUS = new byte[32];

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One decoded entry. {@code event.time()} is at microsecond precision. */
    public record Decoded(long index, byte[] prev, AuditEvent event) {

        /**
         * The typed fields of the entry.
         *
         * @throws MalformedAuditEventException naming this entry's index, its type and the field at fault
         */
        public AuditPayload payload() {
            try {
                return event.payload();
            } catch (MalformedAuditEventException e) {
                throw e.at(index);
            }
        }
    }

    private CanonicalEntry() {
    }

    /** The time as it is stored: UTC, truncated to microseconds. */
    public static Instant storedTime(Instant time) {
        return time.truncatedTo(ChronoUnit.MICROS);
    }

    /** The canonical bytes of an entry. */
    public static byte[] encode(long index, byte[] prev, AuditEvent event) {
        return withPosition(index, prev, encodeBody(event));
    }

    /**
     * The part of the canonical bytes that does not depend on the position in the log, starting
     * with {@code "type":} and ending with the closing brace; computed outside the append lock.
     */
    static byte[] encodeBody(AuditEvent event) {
        Buffer b = new Buffer();
        b.body(event);
        return b.toArray();
    }

    /**
     * Canonical bytes built in an array that is reused from one entry to the next: the log encodes each body into its
     * thread's buffer outside the append lock, and each record into its own under the lock, so that an append allocates
     * nothing for its bytes. Strings go through {@link CanonicalJson#appendString} unless they are plain ASCII, and
     * times through {@link #time}: one definition of the canonical form, whichever way it is written.
     */
    static final class Buffer {
        /** A buffer that grew past this (one huge entry) is dropped on the next clear, not kept for ever. */
        private static final int KEPT_BYTES = 1 << 16;

        private byte[] bytes = new byte[512];
        private int length;
        private final StringBuilder scratch = new StringBuilder(64);

        byte[] bytes() {
            return bytes;
        }

        int length() {
            return length;
        }

        byte[] toArray() {
            return Arrays.copyOf(bytes, length);
        }

        void clear() {
            if (bytes.length > KEPT_BYTES) bytes = new byte[512];
            length = 0;
        }

        /** Clears, then writes the body of {@code event} (see {@link #encodeBody}). */
        void body(AuditEvent event) {
            clear();
            ascii("\"type\":\"");
            ascii(event.type().name());
            ascii("\",\"intent_id\":");
            string(event.intentId());
            ascii(",\"time\":\"");
            time(event.time());
            ascii("\",\"fields\":{");
            firstField = true;
            AuditPayload typed = event.written();
            if (typed != null) {
                typed.writeFields(fields); // straight from the payload: no map of its fields is made
            } else {
                event.fields().forEach(storedField); // forEach, not entrySet(): no entry wrapper per field
            }
            ascii("}}");
        }

        private boolean firstField;

        /** Writes a field of an event that is not typed (decoded, or made by hand) as it is: it is what is stored. */
        private final BiConsumer<String, Object> storedField = (name, value) -> {
            name(name);
            value(name, value);
        };

        /** Writes each field of a typed payload as it comes, bounded as {@link AuditLimits#bounding} bounds its stored fields. */
        private final AuditPayload.FieldWriter fields = new AuditPayload.FieldWriter() {
            @Override
            public void field(String name, Object value) {
                if (value instanceof String s) {
                    put(name, s);
                    return;
                }
                typedName(name);
                value(name, value instanceof List<?> l ? AuditLimits.bounded(strings(l)) : value);
            }

            @Override
            public void put(String name, String value) {
                Field f = typedName(name);
                if (value == null) {
                    ascii("null");
                } else if (value == f.lastValue && f.lastBytes != null) {
                    Buffer.this.put(f.lastBytes); // the same string as this field's last one (the decision's, the tool's): encoded once
                } else {
                    int start = length;
                    string(AuditLimits.bounded(value));
                    // Kept on the second sighting, so a value new on every call (an id, a digest) costs no copy.
                    f.lastBytes = value == f.lastValue && length - start <= KEPT_VALUE_BYTES ? Arrays.copyOfRange(bytes, start, length) : null;
                    f.lastValue = value;
                }
            }

            @Override
            public void put(String name, long value) {
                typedName(name);
                number(value);
            }

            @Override
            public void put(String name, boolean value) {
                typedName(name);
                ascii(value ? "true" : "false");
            }

            @Override
            public void put(String name, List<String> value) {
                typedName(name);
                value(name, AuditLimits.bounded(value));
            }
        };

        /**
         * What this buffer keeps of a field name that typed payloads write: its encoded {@code "name":}, and the last string
         * value written under it with its encoded bytes. Names are the records' literals, a few dozen; strings are immutable,
         * so the same string object always encodes to the same bytes. Encoding names and the values that repeat from call to
         * call (action, agent, tier, policy version, reason) was a third of the encoding.
         */
        private static final class Field {
            final byte[] name;
            String lastValue;
            byte[] lastBytes;

            Field(byte[] name) {
                this.name = name;
            }
        }

        private static final int KEPT_NAMES = 256;
        private static final int KEPT_VALUE_BYTES = 256;
        /**
         * By identity: the names are the payload records' literals, one instance each, and an identity lookup probes one
         * array where a hash map hashes and follows a node (JFR: 12 % of the governed call in the hash map's lookups).
         * A name that is equal but another instance only misses, and is encoded from its characters.
         */
        private final Map<String, Field> fieldsByName = new IdentityHashMap<>();

        /** Writes a typed payload's field name ({@code ,"name":}), from the bytes kept for it. */
        private Field typedName(String name) {
            separator();
            Field f = fieldsByName.get(name);
            if (f != null) {
                put(f.name);
                return f;
            }
            int start = length;
            string(name);
            put((byte) ':');
            f = new Field(Arrays.copyOfRange(bytes, start, length));
            if (fieldsByName.size() < KEPT_NAMES) fieldsByName.put(name, f);
            return f;
        }

        @SuppressWarnings("unchecked")
        private static List<String> strings(List<?> list) {
            return (List<String>) list;
        }

        private void name(String name) {
            separator();
            string(name);
            put((byte) ':');
        }

        /** The comma before every field but the first. */
        private void separator() {
            if (!firstField) put((byte) ',');
            firstField = false;
        }

        /** The second whose {@code yyyy-MM-ddTHH:mm:ss.} is in {@link #secondText}: consecutive entries mostly share it. */
        private long second = Long.MIN_VALUE;
        private final byte[] secondText = new byte[20];

        /** The stored form of a time ({@link CanonicalEntry#formatTime}), formatting its second only when it changed. */
        private void time(Instant t) {
            long s = t.getEpochSecond();
            if (s != second) {
                scratch.setLength(0);
                CanonicalEntry.time(scratch, t);
                if (scratch.length() != 27) { // a year outside 0000-9999: written whole, not kept
                    second = Long.MIN_VALUE;
                    ascii(scratch);
                    return;
                }
                for (int i = 0; i < 20; i++) secondText[i] = (byte) scratch.charAt(i);
                second = s;
            }
            ensure(27);
            System.arraycopy(secondText, 0, bytes, length, 20);
            length += 20;
            int micros = t.getNano() / 1000;
            for (int p = length + 5; p >= length; p--, micros /= 10) bytes[p] = (byte) ('0' + micros % 10);
            length += 6;
            bytes[length++] = 'Z';
        }

        private void number(long value) {
            scratch.setLength(0);
            ascii(scratch.append(value)); // not append(Object): that would allocate Long.toString's String
        }

        /** Clears, then writes {@code kind} followed by an entry's canonical bytes: its position, then {@code body}. */
        void record(byte kind, long index, byte[] prev, Buffer body) {
            clear();
            put(kind);
            position(index, prev);
            put(body.bytes, body.length);
        }

        /** Writes {@code {"index":I,"prev":"<hex>",}: where an entry stands. */
        void position(long index, byte[] prev) {
            if (index < 0) throw new IllegalArgumentException("negative index " + index);
            if (prev.length != 32) throw new IllegalArgumentException("prev must be a 32-byte hash");
            ensure(INDEX_KEY.length + 20 + PREV_KEY.length + 66);
            put(INDEX_KEY);
            number(index);
            put(PREV_KEY);
            int p = length;
            for (byte b : prev) {
                char pair = HEX_PAIRS[b & 0xff];
                bytes[p++] = (byte) (pair >> 8);
                bytes[p++] = (byte) pair;
            }
            bytes[p++] = '"';
            bytes[p++] = ',';
            length = p;
        }

        private void value(String name, Object v) {
            if (v == null) {
                ascii("null");
            } else if (v instanceof String s) {
                string(s);
            } else if (v instanceof Long l) {
                number(l);
            } else if (v instanceof Boolean bool) {
                ascii(bool ? "true" : "false");
            } else if (v instanceof List<?> list) {
                put((byte) '[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) put((byte) ',');
                    string((String) list.get(i));
                }
                put((byte) ']');
            } else {
                throw new IllegalArgumentException("field " + name + ": unsupported value type " + v.getClass().getName());
            }
        }

        /** A JSON string in canonical form, as UTF-8. */
        private void string(String s) {
            int n = s.length();
            ensure(2 * n + 2); // room for every char escaped as two bytes
            int p = length;
            bytes[p++] = '"';
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c >= 0x7f) {
                    // Control characters or non-ASCII: the one definition of the canonical form writes it, then it is UTF-8 encoded.
                    scratch.setLength(0);
                    CanonicalJson.appendString(scratch, s);
                    put(scratch.toString().getBytes(StandardCharsets.UTF_8));
                    return;
                }
                // The two escapes of printable ASCII, as CanonicalJson.appendString writes them (an intent's arguments are JSON).
                if (c == '"' || c == '\\') bytes[p++] = '\\';
                bytes[p++] = (byte) c;
            }
            bytes[p++] = '"';
            length = p;
        }

        /** Characters known to be ASCII (keys, numbers, the time). */
        private void ascii(CharSequence s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) bytes[length++] = (byte) s.charAt(i);
        }

        private void put(byte b) {
            ensure(1);
            bytes[length++] = b;
        }

        private void put(byte[] b) {
            put(b, b.length);
        }

        private void put(byte[] b, int n) {
            ensure(n);
            System.arraycopy(b, 0, bytes, length, n);
            length += n;
        }

        private void ensure(int more) {
            if (length + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }

    /** Prepends index and previous leaf hash to a body from {@link #encodeBody}. */
    static byte[] withPosition(long index, byte[] prev, byte[] body) {
        Buffer b = new Buffer();
        b.position(index, prev);
        b.put(body);
        return b.toArray();
    }

    private static final byte[] INDEX_KEY = "{\"index\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREV_KEY = ",\"prev\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** The two lower-case hex digits of each byte value, high digit in the high byte: a link is 32 lookups, not 64. */
    private static final char[] HEX_PAIRS = new char[256];

    static {
        for (int i = 0; i < 256; i++) HEX_PAIRS[i] = (char) (HEX_DIGITS[i >> 4] << 8 | HEX_DIGITS[i & 0xf]);
    }

    /** Where an entry says it stands: its index and the leaf hash of the entry before it. */
    public record Position(long index, byte[] prev) {
    }

    /**
     * Reads only the fixed prefix {@code {"index":I,"prev":"<hex>",} of canonical bytes: all that
     * linking needs, several times cheaper than {@link #decode}. The rest of the bytes is bound by the
     * leaf hash, which the next entry's {@code prev} and the checkpoints check.
     *
     * @throws IllegalArgumentException when the prefix is not in canonical form (then {@link #decode} tells why)
     */
    public static Position position(byte[] bytes) {
        int p = INDEX_KEY.length;
        if (bytes.length < p + 1 + PREV_KEY.length + 66 || !Arrays.equals(bytes, 0, p, INDEX_KEY, 0, p)) {
            throw new IllegalArgumentException("entry does not start with the index");
        }
        long index = 0;
        int start = p;
        while (p < bytes.length && bytes[p] >= '0' && bytes[p] <= '9') {
            if (p - start >= 18) throw new IllegalArgumentException("index out of range");
            index = index * 10 + (bytes[p++] - '0');
        }
        if (p == start || (bytes[start] == '0' && p - start > 1)) throw new IllegalArgumentException("index is not a canonical number");
        if (bytes.length < p + PREV_KEY.length + 66 || !Arrays.equals(bytes, p, p + PREV_KEY.length, PREV_KEY, 0, PREV_KEY.length)) {
            throw new IllegalArgumentException("entry has no prev after its index");
        }
        p += PREV_KEY.length;
        byte[] prev = new byte[32];
        for (int i = 0; i < 32; i++) {
            int hi = hexValue(bytes[p++]);
            int lo = hexValue(bytes[p++]);
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("prev is not 64 hex digits");
            prev[i] = (byte) (hi << 4 | lo);
        }
        if (bytes[p] != '"' || bytes[p + 1] != ',') throw new IllegalArgumentException("prev is not 64 hex digits");
        return new Position(index, prev);
    }

    private static final byte[] TYPE_KEY = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);

    /**
     * The type of canonical bytes, read after their {@link #position} prefix without decoding the rest: what a reader that
     * wants some types only needs to skip the others. Null when {@link #position} refuses the prefix or no type follows it;
     * {@link #decode} then says why.
     */
    public static AuditEventType peekType(byte[] bytes) {
        int p;
        try {
            // {"index":I,"prev":"<64 hex>",
            p = INDEX_KEY.length + Long.toString(position(bytes).index()).length() + PREV_KEY.length + 64 + 2;
        } catch (IllegalArgumentException notCanonical) {
            return null;
        }
        if (bytes.length < p + TYPE_KEY.length || !Arrays.equals(bytes, p, p + TYPE_KEY.length, TYPE_KEY, 0, TYPE_KEY.length)) return null;
        int start = p += TYPE_KEY.length;
        while (p < bytes.length && (bytes[p] >= 'A' && bytes[p] <= 'Z' || bytes[p] == '_')) p++;
        if (p == start || p >= bytes.length || bytes[p] != '"') return null;
        try {
            return AuditEventType.valueOf(new String(bytes, start, p - start, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException unknown) {
            return null;
        }
    }

    /** Each byte's value as a lowercase hex digit, -1 for anything else: a table, since the verifier reads 64 per entry. */
    private static final byte[] HEX_VALUES = new byte[256];

    static {
        Arrays.fill(HEX_VALUES, (byte) -1);
        for (int i = 0; i < 16; i++) HEX_VALUES["0123456789abcdef".charAt(i)] = (byte) i;
    }

    private static int hexValue(byte b) {
        return HEX_VALUES[b & 0xFF];
    }

    /**
     * Decodes canonical bytes. Throws {@link IllegalArgumentException} with the reason when the
     * bytes are not valid JSON, miss a key, carry an unsupported value, or are not canonical.
     */
    public static Decoded decode(byte[] bytes) {
        JsonNode root;
        try (JsonParser p = JSON.createParser(bytes)) {
            root = JSON.readTree(p);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("not a JSON object");
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        if (!keys.equals(List.of("index", "prev", "type", "intent_id", "time", "fields"))) {
            throw new IllegalArgumentException("unexpected keys " + keys);
        }
        JsonNode index = root.get("index");
        if (!index.isIntegralNumber() || !index.canConvertToLong() || index.asLong() < 0) {
            throw new IllegalArgumentException("index is not a non-negative integer");
        }
        byte[] prev = hex32(text(root, "prev"));
        AuditEventType type;
        try {
            type = AuditEventType.valueOf(text(root, "type"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown event type");
        }
        String intentId = text(root, "intent_id");
        Instant time;
        try {
            time = Instant.parse(text(root, "time"));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time is not an ISO-8601 instant");
        }
        JsonNode fieldsNode = root.get("fields");
        if (!fieldsNode.isObject()) throw new IllegalArgumentException("fields is not an object");
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : fieldsNode.properties()) {
            fields.put(f.getKey(), fieldValue(f.getKey(), f.getValue()));
        }
        AuditEvent event = new AuditEvent(type, intentId, time, fields);
        byte[] again = encode(index.asLong(), prev, event);
        if (!Arrays.equals(again, bytes)) throw new IllegalArgumentException("not in canonical form");
        return new Decoded(index.asLong(), prev, event);
    }

    private static Object fieldValue(String name, JsonNode v) {
        if (v.isNull()) return null;
        if (v.isTextual()) return v.textValue();
        if (v.isBoolean()) return v.booleanValue();
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isArray()) {
            List<String> list = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual()) throw new IllegalArgumentException("field " + name + ": lists hold strings only");
                list.add(e.textValue());
            }
            return list;
        }
        throw new IllegalArgumentException("field " + name + ": unsupported JSON value");
    }

    private static String text(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (!n.isTextual()) throw new IllegalArgumentException(key + " is not a string");
        return n.textValue();
    }

    private static byte[] hex32(String s) {
        if (s.length() != 64) throw new IllegalArgumentException("prev is not 64 hex digits");
        try {
            return HEX.parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prev is not 64 hex digits");
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The stored form of a time: yyyy-MM-ddTHH:mm:ss.uuuuuuZ in UTC, always six fractional digits. */
    public static String formatTime(Instant t) {
        StringBuilder sb = new StringBuilder(27);
        time(sb, t);
        return sb.toString();
    }

    /** yyyy-MM-ddTHH:mm:ss.uuuuuuZ in UTC, written by hand: DateTimeFormatter was the costliest part of an append. */
    private static void time(StringBuilder sb, Instant t) {
        Instant stored = storedTime(t);
        LocalDateTime d = LocalDateTime.ofEpochSecond(stored.getEpochSecond(), stored.getNano(), ZoneOffset.UTC);
        if (d.getYear() < 0 || d.getYear() > 9999) {
            try {
                sb.append(TIME.format(stored));
                return;
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("event time out of range: " + t, e);
            }
        }
        digits(sb, d.getYear(), 4).append('-');
        digits(sb, d.getMonthValue(), 2).append('-');
        digits(sb, d.getDayOfMonth(), 2).append('T');
        digits(sb, d.getHour(), 2).append(':');
        digits(sb, d.getMinute(), 2).append(':');
        digits(sb, d.getSecond(), 2).append('.');
        digits(sb, d.getNano() / 1000, 6).append('Z');
    }

    private static StringBuilder digits(StringBuilder sb, int value, int width) {
        for (int p = width - 1, div = pow10(p); p >= 0; p--, div /= 10) sb.append((char) ('0' + (value / div) % 10));
        return sb;
    }

    private static int pow10(int n) {
        int r = 1;
        for (int i = 0; i < n; i++) r *= 10;
        return r;
    }

}
