package dev.magistrate.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Maps an offset inside a condition's text back to the file's line and column, through the YAML
 * quoting the author used (plain, 'single', "double" with escapes, or a | / > block). Where the
 * mapping cannot be proven exact, it answers null and the caller points at the scalar instead.
 */
final class ConditionLocator {

    /** One run of condition characters that stand on a file line, starting at a column. */
    private record Segment(int line, int[] columns, int after) {
    }

    private final List<Segment> segments;

    private ConditionLocator(List<Segment> segments) {
        this.segments = segments;
    }

    /** Builds a locator, or returns null when the raw text does not decode to {@code value}. */
    static ConditionLocator of(String[] lines, SourceLocation at, String value) {
        int li = at.line() - 1;
        if (li < 0 || li >= lines.length) return null;
        String raw = lines[li];
        int c = at.column() - 1;
        if (c < 0 || c >= raw.length()) return null;
        char first = raw.charAt(c);
        List<Segment> segs = switch (first) {
            case '\'' -> quoted(raw, li, c, value, false);
            case '"' -> quoted(raw, li, c, value, true);
            case '|', '>' -> block(lines, li, value, first == '>');
            default -> plain(raw, li, c, value);
        };
        return segs == null ? null : new ConditionLocator(segs);
    }

    /** 1-based line and column of the condition character at {@code offset}, or null. */
    SourceLocation locate(String file, int offset) {
        int remaining = offset;
        for (Segment s : segments) {
            if (remaining < s.columns.length) return new SourceLocation(file, s.line + 1, s.columns[remaining] + 1);
            remaining -= s.columns.length;
        }
        // The end of the condition: just after its last character.
        Segment last = segments.get(segments.size() - 1);
        return new SourceLocation(file, last.line + 1, last.after + 1);
    }

    private static List<Segment> plain(String raw, int li, int c, String value) {
        if (!raw.startsWith(value, c)) return null;
        int[] cols = new int[value.length()];
        for (int k = 0; k < cols.length; k++) cols[k] = c + k;
        return List.of(new Segment(li, cols, c + value.length()));
    }

    private static List<Segment> quoted(String raw, int li, int c, String value, boolean doubleQuoted) {
        char q = raw.charAt(c);
        StringBuilder decoded = new StringBuilder();
        List<Integer> cols = new ArrayList<>();
        int i = c + 1;
        while (i < raw.length()) {
            char ch = raw.charAt(i);
            if (ch == q) {
                if (!doubleQuoted && i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    decoded.append('\'');
                    cols.add(i);
                    i += 2;
                    continue;
                }
                break;
            }
            if (doubleQuoted && ch == '\\') {
                if (i + 1 >= raw.length()) return null;
                char e = raw.charAt(i + 1);
                int len;
                String out;
                switch (e) {
                    case 'x': len = 4; out = hex(raw, i + 2, 2); break;
                    case 'u': len = 6; out = hex(raw, i + 2, 4); break;
                    case 'U': len = 10; out = hex(raw, i + 2, 8); break;
                    case 'n': len = 2; out = "\n"; break;
                    case 't': len = 2; out = "\t"; break;
                    case 'r': len = 2; out = "\r"; break;
                    case '0': len = 2; out = "\0"; break;
                    case '\\': case '"': case '/': case ' ': len = 2; out = String.valueOf(e); break;
                    default: return null;
                }
                if (out == null) return null;
                for (int k = 0; k < out.length(); k++) {
                    decoded.append(out.charAt(k));
                    cols.add(i);
                }
                i += len;
                continue;
            }
            decoded.append(ch);
            cols.add(i);
            i++;
        }
        if (!decoded.toString().equals(value)) return null; // multi-line or otherwise folded: not exact
        return List.of(new Segment(li, cols.stream().mapToInt(Integer::intValue).toArray(), i));
    }

    private static String hex(String raw, int from, int digits) {
        if (from + digits > raw.length()) return null;
        try {
            return new String(Character.toChars(Integer.parseInt(raw.substring(from, from + digits), 16)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Literal (|) blocks keep line breaks; folded (>) blocks join lines with a space. */
    private static List<Segment> block(String[] lines, int headerLine, String value, boolean folded) {
        List<Segment> segs = new ArrayList<>();
        StringBuilder rebuilt = new StringBuilder();
        int indent = -1;
        for (int li = headerLine + 1; li < lines.length; li++) {
            String line = lines[li];
            if (line.isBlank()) break;
            int lead = 0;
            while (lead < line.length() && line.charAt(lead) == ' ') lead++;
            if (indent < 0) indent = lead;
            if (lead < indent) break;
            String content = line.substring(indent);
            if (!segs.isEmpty()) {
                // The joining character belongs to the previous line's end.
                rebuilt.append(folded ? ' ' : '\n');
                Segment prev = segs.remove(segs.size() - 1);
                int[] cols = Arrays.copyOf(prev.columns, prev.columns.length + 1);
                cols[cols.length - 1] = lines[prev.line].length();
                segs.add(new Segment(prev.line, cols, prev.after));
            }
            int[] cols = new int[content.length()];
            for (int k = 0; k < cols.length; k++) cols[k] = indent + k;
            segs.add(new Segment(li, cols, line.length()));
            rebuilt.append(content);
        }
        String r = rebuilt.toString();
        if (segs.isEmpty()) return null;
        if (r.equals(value)) return segs;
        if ((r + "\n").equals(value)) {
            Segment prev = segs.remove(segs.size() - 1);
            int[] cols = Arrays.copyOf(prev.columns, prev.columns.length + 1);
            cols[cols.length - 1] = lines[prev.line].length();
            segs.add(new Segment(prev.line, cols, prev.after));
            return segs;
        }
        return null;
    }
}
