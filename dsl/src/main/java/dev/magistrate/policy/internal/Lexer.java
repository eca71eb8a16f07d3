package dev.magistrate.policy.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns condition text into tokens. Keywords are case-insensitive ({@code and}, {@code AND}, {@code And}). */
final class Lexer {

    private static final Map<String, Token.Kind> KEYWORDS = Map.ofEntries(
            Map.entry("and", Token.Kind.AND), Map.entry("or", Token.Kind.OR), Map.entry("not", Token.Kind.NOT),
            Map.entry("in", Token.Kind.IN), Map.entry("contains", Token.Kind.CONTAINS),
            Map.entry("matches", Token.Kind.MATCHES), Map.entry("startswith", Token.Kind.STARTS_WITH),
            Map.entry("endswith", Token.Kind.ENDS_WITH), Map.entry("true", Token.Kind.TRUE),
            Map.entry("false", Token.Kind.FALSE), Map.entry("null", Token.Kind.NULL));

    private final String src;
    private int i;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String src) throws ExpressionError {
        Lexer lexer = new Lexer(src);
        List<Token> out = new ArrayList<>();
        Token t;
        do {
            t = lexer.next();
            out.add(t);
        } while (t.kind() != Token.Kind.EOF);
        return out;
    }

    private Token next() throws ExpressionError {
        while (i < src.length() && Character.isWhitespace(src.charAt(i))) i++;
        int start = i;
        if (i >= src.length()) return new Token(Token.Kind.EOF, "", null, start, start);
        char c = src.charAt(i);
        if (c == '\'' || c == '"') return string(c);
        if (c >= '0' && c <= '9') return number();
        if (Character.isLetter(c) || c == '_') {
            while (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) i++;
            String word = src.substring(start, i);
            Token.Kind kw = KEYWORDS.get(word.toLowerCase(Locale.ROOT));
            return new Token(kw != null ? kw : Token.Kind.IDENT, word, null, start, i);
        }
        i++;
        char n = i < src.length() ? src.charAt(i) : '\0';
        switch (c) {
            case '(': return tok(Token.Kind.LPAREN, start);
            case ')': return tok(Token.Kind.RPAREN, start);
            case '[': return tok(Token.Kind.LBRACKET, start);
            case ']': return tok(Token.Kind.RBRACKET, start);
            case ',': return tok(Token.Kind.COMMA, start);
            case '.': return tok(Token.Kind.DOT, start);
            case '+': return tok(Token.Kind.PLUS, start);
            case '-': return tok(Token.Kind.MINUS, start);
            case '*': return tok(Token.Kind.STAR, start);
            case '/': return tok(Token.Kind.SLASH, start);
            case '=':
                if (n == '=') { i++; return tok(Token.Kind.EQ, start); }
                throw new ExpressionError(start, "'=' is not an operator: use '==' to compare");
            case '!':
                if (n == '=') { i++; return tok(Token.Kind.NE, start); }
                return tok(Token.Kind.NOT, start);
            case '<':
                if (n == '=') { i++; return tok(Token.Kind.LE, start); }
                if (n == '>') throw new ExpressionError(start, "'<>' is not an operator: use '!='");
                return tok(Token.Kind.LT, start);
            case '>':
                if (n == '=') { i++; return tok(Token.Kind.GE, start); }
                return tok(Token.Kind.GT, start);
            case '&':
                if (n == '&') { i++; return tok(Token.Kind.AND, start); }
                throw new ExpressionError(start, "'&' is not an operator: use '&&' or 'and'");
            case '|':
                if (n == '|') { i++; return tok(Token.Kind.OR, start); }
                throw new ExpressionError(start, "'|' is not an operator: use '||' or 'or'");
            default:
                throw new ExpressionError(start, "unexpected character " + printable(c));
        }
    }

    private Token tok(Token.Kind kind, int start) {
        return new Token(kind, src.substring(start, i), null, start, i);
    }

    private Token string(char quote) throws ExpressionError {
        int start = i++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= src.length()) throw new ExpressionError(start, "unterminated string: missing closing " + quote);
            char c = src.charAt(i);
            if (c == quote) { i++; break; }
            if (c == '\\') {
                if (i + 1 >= src.length()) throw new ExpressionError(i, "unterminated escape at end of condition");
                char e = src.charAt(i + 1);
                switch (e) {
                    case '\\': sb.append('\\'); break;
                    case '\'': sb.append('\''); break;
                    case '"': sb.append('"'); break;
                    case 'n': sb.append('\n'); break;
                    case 't': sb.append('\t'); break;
                    case 'r': sb.append('\r'); break;
                    case 'u': {
                        if (i + 6 > src.length()) throw new ExpressionError(i, "\\u needs four hex digits");
                        String hex = src.substring(i + 2, i + 6);
                        try {
                            sb.append((char) Integer.parseInt(hex, 16));
                        } catch (NumberFormatException ex) {
                            throw new ExpressionError(i, "\\u needs four hex digits, found '" + hex + "'");
                        }
                        i += 4;
                        break;
                    }
                    default:
                        // Any other sequence stays as written, so that regexes read naturally: '\bdrop\s+table'.
                        sb.append('\\').append(e);
                }
                i += 2;
                continue;
            }
            sb.append(c);
            i++;
        }
        String text = src.substring(start, i);
        return new Token(Token.Kind.STRING, text, sb.toString(), start, i);
    }

    /**
     * The offset in {@code src} of the character that produced character {@code index} of the
     * string literal whose opening quote is at {@code quote}: an escape counts from its backslash.
     * An index past the value answers the closing quote.
     */
    static int sourceOffset(String src, int quote, int index) {
        int i = quote + 1;
        int produced = 0;
        while (i < src.length() && src.charAt(i) != src.charAt(quote)) {
            int width = 1;
            int chars = 1;
            if (src.charAt(i) == '\\' && i + 1 < src.length()) {
                char e = src.charAt(i + 1);
                width = e == 'u' ? 6 : 2;
                // Only the escapes the lexer decodes make one character; any other keeps both.
                chars = "\\'\"ntru".indexOf(e) >= 0 ? 1 : 2;
            }
            if (index < produced + chars) return i + (chars == 2 ? index - produced : 0);
            produced += chars;
            i += width;
        }
        return Math.min(i, src.length());
    }

    private Token number() throws ExpressionError {
        int start = i;
        while (i < src.length() && Character.isDigit(src.charAt(i))) i++;
        boolean decimal = false;
        if (i + 1 < src.length() && src.charAt(i) == '.' && Character.isDigit(src.charAt(i + 1))) {
            decimal = true;
            i++;
            while (i < src.length() && Character.isDigit(src.charAt(i))) i++;
        }
        if (i < src.length() && Character.isLetter(src.charAt(i))) {
            if (decimal) throw new ExpressionError(start, "a duration takes whole numbers, like '90m'");
            return duration(start);
        }
        String text = src.substring(start, i);
        if (decimal) return new Token(Token.Kind.DECIMAL, text, new BigDecimal(text), start, i);
        try {
            return new Token(Token.Kind.INTEGER, text, Long.parseLong(text), start, i);
        } catch (NumberFormatException e) {
            return new Token(Token.Kind.DECIMAL, text, new BigDecimal(text), start, i);
        }
    }

    /** {@code 30m}, {@code 2h}, {@code 1h30m}, {@code 45s}, {@code 7d}, {@code 500ms}. */
    private Token duration(int start) throws ExpressionError {
        i = start;
        Duration total = Duration.ZERO;
        while (i < src.length() && Character.isDigit(src.charAt(i))) {
            int numStart = i;
            while (i < src.length() && Character.isDigit(src.charAt(i))) i++;
            long amount;
            try {
                amount = Long.parseLong(src.substring(numStart, i));
            } catch (NumberFormatException e) {
                throw new ExpressionError(numStart, "duration amount too large");
            }
            int unitStart = i;
            while (i < src.length() && Character.isLetter(src.charAt(i))) i++;
            String unit = src.substring(unitStart, i);
            Duration part = Durations.unit(amount, unit);
            if (part == null) {
                throw new ExpressionError(unitStart, "unknown duration unit '" + unit + "' (use ms, s, m, h or d)");
            }
            total = total.plus(part);
        }
        if (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) {
            throw new ExpressionError(start, "malformed duration '" + src.substring(start, i + 1) + "'");
        }
        return new Token(Token.Kind.DURATION, src.substring(start, i), total, start, i);
    }

    static String printable(char c) {
        if (c >= 0x20 && c < 0x7f) return "'" + c + "'";
        return String.format("U+%04X", (int) c);
    }
}
