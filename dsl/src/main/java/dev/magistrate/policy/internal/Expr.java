package dev.magistrate.policy.internal;

import com.google.re2j.Pattern;

import java.util.List;

/**
 * The abstract syntax of a condition. The parser produces {@link Name}s; the checker resolves them
 * to {@link Attr}s and regex literals to {@link Matches}, so the evaluators only see checked trees.
 * {@code pos} is the offset of the node's first character in the condition text.
 */
public sealed interface Expr {

    int pos();

    /** The offset of the leftmost character of an expression (a binary's pos is its operator). */
    static int start(Expr e) {
        if (e instanceof Binary b) return start(b.left());
        if (e instanceof Matches m) return start(m.left());
        return e.pos();
    }

    /** A string, Long, BigDecimal, Boolean, Duration or {@code null}. */
    record Literal(Object value, int pos) implements Expr {
    }

    record ListExpr(List<Expr> items, int pos) implements Expr {
    }

    /** A name as written, for example {@code environment}, {@code args.order.amount}, {@code time.hour}. */
    record Name(List<String> path, int pos) implements Expr {
        public String text() {
            return String.join(".", path);
        }
    }

    /** A resolved attribute of the call. */
    record Attr(Attribute attribute, int pos) implements Expr {
    }

    record Unary(Op op, Expr operand, int pos) implements Expr {
    }

    record Binary(Op op, Expr left, Expr right, int pos) implements Expr {
    }

    /** {@code left matches 'regex'} once checked: compiled once, when the policy loads, by {@link LinearRegex}. */
    record Matches(Expr left, Pattern pattern, int pos) implements Expr {
    }

    record Call(String function, List<Expr> args, int pos) implements Expr {
    }

    /** A checked {@code count(...)}, {@code sum(...)}, their {@code _all} and {@code _fleet} forms: read from the input. */
    record Window(dev.magistrate.policy.Window window, int pos) implements Expr {
    }

    enum Op {
        NOT("not"), NEG("-"),
        AND("and"), OR("or"),
        EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="),
        IN("in"), NOT_IN("not in"), CONTAINS("contains"), MATCHES("matches"),
        STARTS_WITH("startsWith"), ENDS_WITH("endsWith"),
        ADD("+"), SUB("-"), MUL("*"), DIV("/");

        public final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }
    }
}
