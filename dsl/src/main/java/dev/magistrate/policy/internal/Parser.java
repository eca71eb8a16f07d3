package dev.magistrate.policy.internal;

import dev.magistrate.policy.internal.Expr.Op;
import dev.magistrate.policy.internal.Token.Kind;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser for conditions. Precedence, loosest first: {@code or}, {@code and},
 * {@code not}, one comparison (they do not chain), {@code + -}, {@code * /}, unary minus.
 */
public final class Parser {

    /**
     * Parentheses, lists, calls, {@code not} and unary minus nest at most this deep: the parser,
     * the checker, both evaluators and the Java compiler all recurse once per level.
     */
    public static final int MAX_NESTING = 100;

    private final List<Token> tokens;
    private int p;
    private int depth;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    public static Expr parse(String condition) throws ExpressionError {
        Parser parser = new Parser(Lexer.tokenize(condition));
        if (parser.peek().kind() == Kind.EOF) throw new ExpressionError(0, "empty condition");
        Expr e = parser.or();
        Token t = parser.peek();
        if (t.kind() != Kind.EOF) {
            if (t.kind() == Kind.RPAREN) throw new ExpressionError(t.pos(), "unbalanced ')'");
            throw new ExpressionError(t.pos(), "unexpected " + t.describe() + " after a complete expression"
                    + " (missing 'and' or 'or'?)");
        }
        return e;
    }

    private Token peek() {
        return tokens.get(p);
    }

    private Token advance() {
        return tokens.get(p++);
    }

    private boolean at(Kind kind) {
        return peek().kind() == kind;
    }

    private Token expect(Kind kind, String what) throws ExpressionError {
        Token t = peek();
        if (t.kind() != kind) throw new ExpressionError(t.pos(), "expected " + what + " but found " + t.describe());
        return advance();
    }

    private Expr or() throws ExpressionError {
        List<Expr> operands = new ArrayList<>();
        List<Token> ops = new ArrayList<>();
        operands.add(and());
        while (at(Kind.OR)) {
            ops.add(advance());
            operands.add(and());
        }
        return balanced(Op.OR, operands, ops, 0, operands.size());
    }

    private Expr and() throws ExpressionError {
        List<Expr> operands = new ArrayList<>();
        List<Token> ops = new ArrayList<>();
        operands.add(not());
        while (at(Kind.AND)) {
            ops.add(advance());
            operands.add(not());
        }
        return balanced(Op.AND, operands, ops, 0, operands.size());
    }

    /**
     * A chain {@code a or b or c ...} as a balanced tree: the same value and the same left-to-right
     * short-circuit order as the left-leaning tree, but a long list of alternatives is only
     * log2(n) deep instead of n.
     */
    private static Expr balanced(Op op, List<Expr> operands, List<Token> ops, int from, int to) {
        if (to - from == 1) return operands.get(from);
        int mid = (from + to) >>> 1;
        return new Expr.Binary(op, balanced(op, operands, ops, from, mid), balanced(op, operands, ops, mid, to),
                ops.get(mid - 1).pos());
    }

    /** Enters one level of nesting at {@code t}, or refuses a condition nested absurdly deep. */
    private void enter(Token t) throws ExpressionError {
        if (++depth > MAX_NESTING) {
            throw new ExpressionError(t.pos(), "condition nests too deeply: more than " + MAX_NESTING
                    + " levels of parentheses, lists, calls, 'not' or '-'");
        }
    }

    private Expr not() throws ExpressionError {
        if (at(Kind.NOT)) {
            Token op = advance();
            enter(op);
            Expr operand = not();
            depth--;
            return new Expr.Unary(Op.NOT, operand, op.pos());
        }
        return comparison();
    }

    private Expr comparison() throws ExpressionError {
        Expr left = additive();
        Op op = comparisonOp();
        if (op == null) return left;
        Token opToken = peek();
        advance();
        if (op == Op.NOT_IN) expect(Kind.IN, "'in' after 'not'");
        Expr right = additive();
        Expr result = new Expr.Binary(op, left, right, opToken.pos());
        if (comparisonOp() != null) {
            throw new ExpressionError(peek().pos(), "comparisons do not chain: join them with 'and'");
        }
        return result;
    }

    private Op comparisonOp() {
        Token t = peek();
        return switch (t.kind()) {
            case EQ -> Op.EQ;
            case NE -> Op.NE;
            case LT -> Op.LT;
            case LE -> Op.LE;
            case GT -> Op.GT;
            case GE -> Op.GE;
            case IN -> Op.IN;
            case CONTAINS -> Op.CONTAINS;
            case MATCHES -> Op.MATCHES;
            case STARTS_WITH -> Op.STARTS_WITH;
            case ENDS_WITH -> Op.ENDS_WITH;
            case NOT -> tokens.get(p + 1).kind() == Kind.IN ? Op.NOT_IN : null;
            default -> null;
        };
    }

    private Expr additive() throws ExpressionError {
        Expr left = multiplicative();
        while (at(Kind.PLUS) || at(Kind.MINUS)) {
            Token op = advance();
            left = new Expr.Binary(op.kind() == Kind.PLUS ? Op.ADD : Op.SUB, left, multiplicative(), op.pos());
        }
        return left;
    }

    private Expr multiplicative() throws ExpressionError {
        Expr left = unary();
        while (at(Kind.STAR) || at(Kind.SLASH)) {
            Token op = advance();
            left = new Expr.Binary(op.kind() == Kind.STAR ? Op.MUL : Op.DIV, left, unary(), op.pos());
        }
        return left;
    }

    private Expr unary() throws ExpressionError {
        if (at(Kind.MINUS)) {
            Token op = advance();
            enter(op);
            Expr operand = unary();
            depth--;
            // Fold -5 into a literal so that it compiles to a constant.
            if (operand instanceof Expr.Literal lit && lit.value() instanceof Long l && l != Long.MIN_VALUE) {
                return new Expr.Literal(-l, op.pos());
            }
            if (operand instanceof Expr.Literal lit && lit.value() instanceof BigDecimal d) {
                return new Expr.Literal(d.negate(), op.pos());
            }
            return new Expr.Unary(Op.NEG, operand, op.pos());
        }
        return primary();
    }

    private Expr primary() throws ExpressionError {
        Token t = peek();
        switch (t.kind()) {
            case STRING:
            case INTEGER:
            case DECIMAL:
            case DURATION:
                advance();
                return new Expr.Literal(t.value(), t.pos());
            case TRUE:
                advance();
                return new Expr.Literal(Boolean.TRUE, t.pos());
            case FALSE:
                advance();
                return new Expr.Literal(Boolean.FALSE, t.pos());
            case NULL:
                advance();
                return new Expr.Literal(null, t.pos());
            case LPAREN: {
                advance();
                if (at(Kind.RPAREN)) throw new ExpressionError(peek().pos(), "empty parentheses");
                enter(t);
                Expr inner = or();
                depth--;
                if (!at(Kind.RPAREN)) {
                    throw new ExpressionError(peek().pos(), "expected ')' to close the '(' but found " + peek().describe());
                }
                advance();
                return inner;
            }
            case LBRACKET:
                return list();
            case IDENT:
                return nameOrCall();
            case EOF:
                throw new ExpressionError(t.pos(), "condition ends where a value was expected");
            default:
                throw new ExpressionError(t.pos(), "expected a value but found " + t.describe());
        }
    }

    private Expr list() throws ExpressionError {
        Token open = advance();
        enter(open);
        List<Expr> items = new ArrayList<>();
        if (!at(Kind.RBRACKET)) {
            do {
                items.add(or());
            } while (at(Kind.COMMA) && advance() != null && !at(Kind.RBRACKET));
        }
        depth--;
        if (!at(Kind.RBRACKET)) {
            throw new ExpressionError(peek().pos(), "expected ',' or ']' in a list but found " + peek().describe());
        }
        advance();
        return new Expr.ListExpr(List.copyOf(items), open.pos());
    }

    private Expr nameOrCall() throws ExpressionError {
        Token first = advance();
        if (at(Kind.LPAREN)) {
            enter(advance());
            List<Expr> args = new ArrayList<>();
            if (!at(Kind.RPAREN)) {
                do {
                    args.add(or());
                } while (at(Kind.COMMA) && advance() != null);
            }
            depth--;
            expect(Kind.RPAREN, "')' to close the call of " + first.text() + "()");
            return new Expr.Call(first.text(), List.copyOf(args), first.pos());
        }
        List<String> path = new ArrayList<>();
        path.add(first.text());
        while (at(Kind.DOT)) {
            advance();
            Token seg = peek();
            // After a dot any word is a field name, keywords included (args.in is an argument called "in").
            if (seg.kind() == Kind.IDENT || (seg.text().length() > 0 && Character.isLetter(seg.text().charAt(0))
                    && seg.kind() != Kind.STRING)) {
                advance();
                path.add(seg.text());
            } else {
                throw new ExpressionError(seg.pos(), "expected a field name after '.' but found " + seg.describe());
            }
        }
        return new Expr.Name(List.copyOf(path), first.pos());
    }
}
