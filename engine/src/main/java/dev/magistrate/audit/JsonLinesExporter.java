package dev.magistrate.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Exports the log as JSON Lines for a SIEM: one entry per line with the stable keys {@code index},
 * {@code type}, {@code intent_id}, {@code time} and {@code fields} (see docs/audit-events.md). An
 * issued warrant's {@code warrant} field, stored as a JSON string, is exported as a nested object
 * when it parses as one.
 */
public final class JsonLinesExporter {

    // Exact decimals: a warrant re-read through doubles (0.1 -> 0.1000000000000000055...) would no longer verify.
    private static final ObjectMapper JSON = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private JsonLinesExporter() {
    }

    /** Writes every entry from {@code fromIndex} on; returns how many lines were written. */
    public static long export(Path dir, long fromIndex, OutputStream out) {
        long lines = 0;
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) {
                if (d.index() < fromIndex) continue;
                out.write(line(d).getBytes(StandardCharsets.UTF_8));
                out.write('\n');
                lines++;
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export", e);
        }
        return lines;
    }

    /** One export line (without the newline). */
    public static String line(CanonicalEntry.Decoded d) {
        AuditEvent e = d.event();
        ObjectNode o = JSON.createObjectNode();
        o.put("index", d.index());
        o.put("type", e.type().name());
        o.put("intent_id", e.intentId());
        o.put("time", CanonicalEntry.formatTime(e.time()));
        ObjectNode fields = o.putObject("fields");
        for (Map.Entry<String, Object> f : e.fields().entrySet()) {
            Object v = f.getValue();
            if (v == null) {
                fields.putNull(f.getKey());
            } else if (v instanceof String s) {
                JsonNode nested = e.type() == AuditEventType.WARRANT_ISSUED && f.getKey().equals(AuditPayload.WarrantIssued.WARRANT_FIELD) ? parseObject(s) : null;
                if (nested != null) fields.set(f.getKey(), nested);
                else fields.put(f.getKey(), s);
            } else if (v instanceof Long l) {
                fields.put(f.getKey(), l);
            } else if (v instanceof Boolean b) {
                fields.put(f.getKey(), b);
            } else if (v instanceof List<?> list) {
                ArrayNode a = fields.putArray(f.getKey());
                for (Object item : list) a.add((String) item);
            }
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialise an audit entry", ex);
        }
    }

    private static JsonNode parseObject(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            return n != null && n.isObject() ? n : null;
        } catch (JsonProcessingException notJson) {
            return null;
        }
    }
}
