package dev.magistrate.audit;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * One audit entry as it is stored: what happened to which intent, when, with named fields. Field
 * values are {@code String}, {@code Long}, {@code Boolean}, {@code List<String>} or {@code null}, so
 * that the canonical bytes and the JSON export are defined for every entry. Never put a secret, a
 * TOTP code or a key in a field.
 *
 * <p>The fields of each type are defined once, by the records of {@link AuditPayload}: write with
 * {@link #of(String, Instant, AuditPayload)}, read with {@link #payload()}.
 */
public record AuditEvent(AuditEventType type, String intentId, Instant time, Map<String, Object> fields) {

    public AuditEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(intentId, "intentId");
        Objects.requireNonNull(time, "time");
        if (!(fields instanceof TypedFields)) {
            Map<String, Object> copy = new LinkedHashMap<>(Math.max(16, fields.size() * 2)); // never resized while copying
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                copy.put(Objects.requireNonNull(e.getKey(), "field name"), checked(e.getKey(), e.getValue()));
            }
            fields = Collections.unmodifiableMap(copy);
        }
    }

    /**
     * The event of a typed payload: its type, and its fields in their documented order, each value
     * within {@link AuditLimits} (a larger one is stored summarised: prefix, length, SHA-256).
     */
    public static AuditEvent of(String intentId, Instant time, AuditPayload payload) {
        return new AuditEvent(payload.type(), intentId, time, new TypedFields(payload));
    }

    /** The payload this event was made of with {@link #of(String, Instant, AuditPayload)}, else null (a decoded or untyped event). */
    AuditPayload written() {
        return fields instanceof TypedFields typed ? typed.payload : null;
    }

    /**
     * A typed payload's bounded fields, read-only, made from the payload when first read: the log encodes an entry straight
     * from its payload ({@link #written()}), so on the call path no map is built at all. Every name is a literal and every
     * value a String, Long, Boolean, an immutable list of strings or null by the records' construction, so the constructor
     * does not check and copy them again. Only {@link #of(String, Instant, AuditPayload)} makes one.
     */
    private static final class TypedFields extends AbstractMap<String, Object> {
        private final AuditPayload payload;
        /** Made once when first read; a race makes two equal maps, each published safely by the unmodifiable wrapper's final field. */
        private Map<String, Object> fields;

        TypedFields(AuditPayload payload) {
            this.payload = payload;
        }

        private Map<String, Object> fields() {
            Map<String, Object> f = fields;
            if (f == null) {
                Map<String, Object> m = new LinkedHashMap<>(32);
                payload.writeFields(AuditLimits.bounding(m::put));
                fields = f = Collections.unmodifiableMap(m);
            }
            return f;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return fields().entrySet();
        }

        @Override
        public Object get(Object name) {
            return fields().get(name);
        }

        @Override
        public boolean containsKey(Object name) {
            return fields().containsKey(name);
        }

        @Override
        public int size() {
            return fields().size();
        }

        @Override
        public void forEach(BiConsumer<? super String, ? super Object> action) {
            fields().forEach(action);
        }
    }

    /**
     * An event with whatever fields are given, untyped: for entries {@link AuditPayload} does not
     * describe (tests that forge or damage entries, tools). The engine writes typed payloads.
     */
    public static AuditEvent of(AuditEventType type, String intentId, Instant time, Object... nameValuePairs) {
        if (nameValuePairs.length % 2 != 0) throw new IllegalArgumentException("fields come in name/value pairs");
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            fields.put((String) nameValuePairs[i], nameValuePairs[i + 1]);
        }
        return new AuditEvent(type, intentId, time, fields);
    }

    /**
     * The typed fields of this event.
     *
     * @throws MalformedAuditEventException when a field of its type is missing or of the wrong type
     */
    public AuditPayload payload() {
        return AuditPayload.read(this);
    }

    private static Object checked(String name, Object value) {
        if (value == null || value instanceof String || value instanceof Boolean) return value;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String)) throw new IllegalArgumentException("field " + name + ": lists hold strings only");
            }
            return List.copyOf(list);
        }
        throw new IllegalArgumentException("field " + name + ": unsupported value type " + value.getClass().getName());
    }
}
