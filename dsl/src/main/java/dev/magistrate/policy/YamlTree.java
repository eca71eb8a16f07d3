package dev.magistrate.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a small tree that remembers where every node and key stands, so that later
 * stages can point at the exact line and column. Read with Jackson's streaming YAML parser.
 */
final class YamlTree {

    sealed interface Node {
        SourceLocation at();
    }

    /** A scalar with its text and the token kind Jackson resolved it to (string, number, boolean, null). */
    record Scalar(String text, JsonToken token, SourceLocation at) implements Node {
    }

    record Entry(String key, SourceLocation keyAt, Node value) {
    }

    record MapNode(Map<String, Entry> entries, SourceLocation at) implements Node {
    }

    record ListNode(List<Node> items, SourceLocation at) implements Node {
    }

    /** Thrown with the location of the first YAML-level problem; nothing else can be read after it. */
    static final class YamlProblem extends Exception {
        final SourceLocation at;

        YamlProblem(SourceLocation at, String message) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private final String file;
    private final YAMLParser parser;

    private YamlTree(String file, YAMLParser parser) {
        this.file = file;
        this.parser = parser;
    }

    /** Reads a document; an empty document is an empty map located at 1:1. */
    static Node read(String file, String text) throws YamlProblem {
        try (YAMLParser parser = (YAMLParser) FACTORY.createParser(text)) {
            YamlTree tree = new YamlTree(file, parser);
            JsonToken first = parser.nextToken();
            if (first == null) return new MapNode(Map.of(), new SourceLocation(file, 1, 1));
            Node root = tree.node(first);
            JsonToken extra = parser.nextToken();
            if (extra != null) {
                throw new YamlProblem(tree.here(), "a policy file holds one YAML document; found another after the first");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            SourceLocation at = loc != null && loc.getLineNr() > 0
                    ? new SourceLocation(file, loc.getLineNr(), Math.max(1, loc.getColumnNr()))
                    : new SourceLocation(file, 1, 1);
            throw new YamlProblem(at, "invalid YAML: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new YamlProblem(new SourceLocation(file, 1, 1), "cannot read YAML: " + e.getMessage());
        }
    }

    private Node node(JsonToken token) throws IOException, YamlProblem {
        SourceLocation at = here();
        if (parser.isCurrentAlias()) {
            throw new YamlProblem(at, "YAML aliases (*name) are not allowed in policy files: write the value out");
        }
        switch (token) {
            case START_OBJECT: {
                Map<String, Entry> entries = new LinkedHashMap<>();
                JsonToken t;
                while ((t = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    SourceLocation keyAt = here();
                    Node value = node(parser.nextToken());
                    if (entries.containsKey(key)) {
                        throw new YamlProblem(keyAt, "duplicate key '" + key + "' (first at line "
                                + entries.get(key).keyAt().line() + ")");
                    }
                    entries.put(key, new Entry(key, keyAt, value));
                }
                return new MapNode(entries, at);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                JsonToken t;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) items.add(node(t));
                return new ListNode(items, at);
            }
            case VALUE_STRING:
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
            case VALUE_TRUE:
            case VALUE_FALSE:
            case VALUE_NULL:
                return new Scalar(token == JsonToken.VALUE_NULL ? null : parser.getText(), token, at);
            default:
                throw new YamlProblem(at, "unexpected YAML content " + token);
        }
    }

    private SourceLocation here() {
        JsonLocation loc = parser.currentTokenLocation();
        return new SourceLocation(file, Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
    }

    private static String firstLine(String message) {
        if (message == null) return "unreadable document";
        String m = message.strip();
        int nl = m.indexOf('\n');
        String line = nl < 0 ? m : m.substring(0, nl);
        // SnakeYAML puts the useful sentence on the line that names the problem.
        for (String candidate : m.split("\n")) {
            String c = candidate.strip();
            if (c.startsWith("found") || c.startsWith("expected") || c.startsWith("mapping values")
                    || c.startsWith("could not find") || c.contains("not allowed")) {
                return line.equals(c) ? c : line + ": " + c;
            }
        }
        return line;
    }
}
