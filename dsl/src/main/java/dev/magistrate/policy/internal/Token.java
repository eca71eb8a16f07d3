package dev.magistrate.policy.internal;

/** One lexical token of a condition; {@code pos} and {@code end} are offsets into the condition text. */
record Token(Kind kind, String text, Object value, int pos, int end) {

    enum Kind {
        IDENT, STRING, INTEGER, DECIMAL, DURATION,
        TRUE, FALSE, NULL,
        AND, OR, NOT, IN, CONTAINS, MATCHES, STARTS_WITH, ENDS_WITH,
        EQ, NE, LT, LE, GT, GE,
        PLUS, MINUS, STAR, SLASH,
        LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, DOT,
        EOF
    }

    /** How the token reads in an error message. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of condition";
            case STRING -> "string " + text;
            case IDENT -> "name '" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
