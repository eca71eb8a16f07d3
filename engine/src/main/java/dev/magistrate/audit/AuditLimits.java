package dev.magistrate.audit;

import dev.magistrate.canonical.CanonicalJson;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How much one audit entry stores (docs/audit-events.md, "Limits"). Values of typed events above the
 * limits are stored summarised: a prefix, then their length and the SHA-256 of their full UTF-8
 * bytes, so one huge argument, result or message cannot make an entry too large for the log. Values
 * within the limits are stored exactly as given, so normal entries keep their canonical bytes. An
 * intent's {@code args_digest} is computed over the full canonical arguments before anything is
 * summarised, so a warrant still binds exactly what ran.
 */
public final class AuditLimits {

    /** A string field longer than this (in UTF-16 chars) is stored summarised. */
    public static final int MAX_STRING_CHARS = 16_384;

    /** How many chars of a summarised string are kept before the summary. */
    public static final int PREFIX_CHARS = 1_024;

    /** A list field with more elements than this, or more chars in all, is stored summarised. */
    public static final int MAX_LIST_ELEMENTS = 256;

    /** The chars of all elements of a list field together above which it is stored summarised. */
    public static final int MAX_LIST_CHARS = MAX_STRING_CHARS;

    /**
     * The largest canonical entry the log accepts. A typed event cannot reach it (at most 10 fields of
     * at most 16,384 chars, each char at most 6 bytes escaped); an untyped one with many fields can, and
     * is then refused alone: the append throws, that call is denied, the log stays usable.
     */
    public static final int MAX_ENTRY_BYTES = 2 << 20;

    /** Starts the summary after the kept prefix. */
    static final String SUMMARY_MARK = "\u2026[summarised: ";

    private AuditLimits() {
    }

    /** Whether a stored string is a summary written by {@link #bounded(String)} (a hint: a value may look like one). */
    public static boolean isSummarised(String stored) {
        return stored != null && stored.endsWith("]") && stored.indexOf(SUMMARY_MARK, PREFIX_CHARS - 1) >= 0;
    }

    /** The value as it is stored: itself when within {@link #MAX_STRING_CHARS}, else prefix, length and digest. */
    public static String bounded(String s) {
        if (s == null || s.length() <= MAX_STRING_CHARS) return s;
        int cut = PREFIX_CHARS;
        if (Character.isHighSurrogate(s.charAt(cut - 1))) cut--; // never split a pair
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return s.substring(0, cut) + SUMMARY_MARK + s.length() + " chars, " + utf8.length + " bytes, sha256:"
                + CanonicalJson.sha256Hex(utf8) + "]";
    }

    /**
     * The list as it is stored: itself when within the limits, else the elements that fit (each bounded)
     * followed by one summary element giving the element count, the chars and the SHA-256 of the canonical
     * JSON of the whole list.
     */
    public static List<String> bounded(List<String> list) {
        if (list == null) return null;
        long chars = 0;
        for (String s : list) chars += s == null ? 0 : s.length();
        if (list.size() <= MAX_LIST_ELEMENTS && chars <= MAX_LIST_CHARS) return list;
        List<String> kept = new ArrayList<>();
        long keptChars = 0;
        for (String s : list) {
            String b = bounded(s);
            int len = b == null ? 0 : b.length();
            if (kept.size() >= MAX_LIST_ELEMENTS - 1 || keptChars + len > MAX_LIST_CHARS - PREFIX_CHARS) break;
            kept.add(b);
            keptChars += len;
        }
        byte[] json = CanonicalJson.encodeUtf8(list);
        kept.add(SUMMARY_MARK + list.size() + " elements, " + chars + " chars, sha256:" + CanonicalJson.sha256Hex(json) + "]");
        return Collections.unmodifiableList(kept); // read-only like the list it stands for (AuditEvent keeps it as it is)
    }

    /**
     * The fields of a typed event as they are stored: a writer that hands every string and list bounded to {@code out},
     * names and order unchanged.
     */
    @SuppressWarnings("unchecked")
    static AuditPayload.FieldWriter bounding(AuditPayload.FieldWriter out) {
        return (name, v) -> out.field(name, v instanceof String s ? bounded(s) : v instanceof List<?> l ? bounded((List<String>) l) : v);
    }
}
