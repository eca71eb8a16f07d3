package dev.magistrate.audit;

import java.util.List;
import java.util.Map;

/** Strict typed access to the fields of a stored event, for the {@code read} of each {@link AuditPayload} record. */
final class StoredFields {

    private final AuditEvent event;
    private final Map<String, Object> fields;

    StoredFields(AuditEvent event) {
        this.event = event;
        this.fields = event.fields();
    }

    /** A string field: present, a string or null. */
    String string(String name) {
        Object v = present(name);
        if (v == null || v instanceof String) return (String) v;
        throw wrongType(name, v, "a string or null");
    }

    /** An integer field: present and not null. */
    long integer(String name) {
        Object v = present(name);
        if (v instanceof Long l) return l;
        throw wrongType(name, v, "an integer");
    }

    /** A boolean field: present and not null. */
    boolean bool(String name) {
        Object v = present(name);
        if (v instanceof Boolean b) return b;
        throw wrongType(name, v, "a boolean");
    }

    /** A list field: present and not null. */
    List<String> strings(String name) {
        Object v = present(name);
        return list(name, v);
    }

    /** A list field that older entries do not have: null when absent, otherwise as {@link #strings}. */
    List<String> stringsAddedLater(String name) {
        return fields.containsKey(name) ? list(name, fields.get(name)) : null;
    }

    @SuppressWarnings("unchecked")
    private List<String> list(String name, Object v) {
        if (v instanceof List<?> l) return (List<String>) l; // AuditEvent admits lists of strings only
        throw wrongType(name, v, "a list of strings");
    }

    private Object present(String name) {
        if (!fields.containsKey(name)) throw new MalformedAuditEventException(event.type(), name, "is missing");
        return fields.get(name);
    }

    private MalformedAuditEventException wrongType(String name, Object v, String expected) {
        return new MalformedAuditEventException(event.type(), name, "is " + describe(v) + ", expected " + expected);
    }

    private static String describe(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "a string";
        if (v instanceof Long) return "an integer";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof List) return "a list";
        return v.getClass().getSimpleName();
    }
}
