package dev.magistrate.policy.internal;

import dev.magistrate.policy.SignalSlots;
import dev.magistrate.policy.Window;
import dev.magistrate.policy.internal.Attribute.Kind;
import dev.magistrate.policy.internal.Expr.Op;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The second stage: resolves names to attributes, compiles regex literals, and rejects conditions
 * that are certainly wrong (a non-boolean condition, {@code 'a' > 5}, an unknown function, a likely
 * typo of a built-in name). Returns the checked tree that the evaluators accept.
 */
public final class Checker {

    /** Static types; {@code ANY} is an attribute whose type is only known at run time. */
    enum Type { BOOL, NUMBER, STRING, DURATION, LIST, NULL, ANY }

    private static final Map<String, Kind> BUILT_INS = Map.of(
            "action", Kind.ACTION, "resource", Kind.RESOURCE, "agent", Kind.AGENT,
            "justification", Kind.JUSTIFICATION, "urgency", Kind.URGENCY, "cost", Kind.COST);
    private static final List<String> KNOWN_NAMES = List.of(
            "action", "resource", "agent", "justification", "urgency", "cost", "time", "args", "signal");
    private static final Map<String, Integer> FUNCTIONS = Map.of("lower", 1, "upper", 1, "len", 1, "abs", 1);

    /** The condition's text, when known: errors inside a regex literal then point at the exact character. */
    private final String source;

    private Checker(String source) {
        this.source = source;
    }

    /** Parses and checks a condition in one call. */
    public static Expr parseAndCheck(String condition) throws ExpressionError {
        return new Checker(condition).run(Parser.parse(condition));
    }

    public static Expr check(Expr parsed) throws ExpressionError {
        return new Checker(null).run(parsed);
    }

    /**
     * A condition's tree is at most this deep: the checker, both evaluators and the Java compiler
     * recurse once per level. Parentheses nest at most {@link Parser#MAX_NESTING} deep; arithmetic
     * chains ({@code a + b + c ...}) add a level per operator.
     */
    public static final int MAX_HEIGHT = 200;
    /**
     * A condition has at most this many operators, names and values (a list of literals counts as
     * one): its generated code must fit a JVM method (64 KB of bytecode).
     */
    public static final int MAX_NODES = 1_000;

    private Expr run(Expr parsed) throws ExpressionError {
        bounded(parsed);
        Checked c = visit(parsed);
        if (c.type != Type.BOOL && c.type != Type.ANY) {
            throw new ExpressionError(Expr.start(parsed), "a condition must be true or false, but this is a "
                    + describe(c.type) + " (did you mean to compare it, e.g. '... > 0'?)");
        }
        return c.expr;
    }

    private record Checked(Expr expr, Type type) {
    }

    /** Refuses a tree too deep or too large, before anything recurses over it. */
    private static void bounded(Expr root) throws ExpressionError {
        ArrayDeque<Expr> nodes = new ArrayDeque<>();
        ArrayDeque<Integer> depths = new ArrayDeque<>();
        nodes.push(root);
        depths.push(1);
        int count = 0;
        while (!nodes.isEmpty()) {
            Expr e = nodes.pop();
            int depth = depths.pop();
            if (depth > MAX_HEIGHT) {
                throw new ExpressionError(Expr.start(e), "condition nests too deeply: more than " + MAX_HEIGHT
                        + " levels of operators (a chain like 'a + b + c ...' counts one level per operator)");
            }
            if (++count > MAX_NODES) {
                throw new ExpressionError(Expr.start(root), "condition too large: more than " + MAX_NODES
                        + " operators, names and values (split it into several rules, or use 'in' with a list)");
            }
            List<Expr> children = List.of();
            if (e instanceof Expr.Binary b) children = List.of(b.left(), b.right());
            else if (e instanceof Expr.Unary u) children = List.of(u.operand());
            else if (e instanceof Expr.Call call) children = call.args();
            else if (e instanceof Expr.Matches m) children = List.of(m.left());
            else if (e instanceof Expr.ListExpr list && !list.items().stream().allMatch(i -> i instanceof Expr.Literal)) {
                children = list.items();
            }
            for (int k = children.size() - 1; k >= 0; k--) { // leftmost first, so the error points at the earliest culprit
                nodes.push(children.get(k));
                depths.push(depth + 1);
            }
        }
    }

    private Checked visit(Expr e) throws ExpressionError {
        if (e instanceof Expr.Literal lit) return new Checked(lit, literalType(lit.value()));
        if (e instanceof Expr.ListExpr list) {
            List<Expr> items = new ArrayList<>();
            for (Expr item : list.items()) items.add(visit(item).expr);
            return new Checked(new Expr.ListExpr(List.copyOf(items), list.pos()), Type.LIST);
        }
        if (e instanceof Expr.Name name) return resolve(name);
        if (e instanceof Expr.Call call) return call(call);
        if (e instanceof Expr.Unary u) {
            Checked operand = visit(u.operand());
            if (u.op() == Op.NOT) {
                requireBoolean(operand, u.operand(), "'not'");
                return new Checked(new Expr.Unary(Op.NOT, operand.expr, u.pos()), Type.BOOL);
            }
            requireNumber(operand, u.operand(), "'-'");
            return new Checked(new Expr.Unary(u.op(), operand.expr, u.pos()), Type.NUMBER);
        }
        Expr.Binary b = (Expr.Binary) e;
        Checked l = visit(b.left());
        if (b.op() == Op.MATCHES) return matches(b, l);
        Checked r = visit(b.right());
        Expr.Binary out = new Expr.Binary(b.op(), l.expr, r.expr, b.pos());
        switch (b.op()) {
            case AND, OR -> {
                requireBoolean(l, b.left(), "'" + b.op().symbol + "'");
                requireBoolean(r, b.right(), "'" + b.op().symbol + "'");
                return new Checked(out, Type.BOOL);
            }
            case ADD, SUB, MUL, DIV -> {
                requireNumber(l, b.left(), "'" + b.op().symbol + "'");
                requireNumber(r, b.right(), "'" + b.op().symbol + "'");
                // The result is a number, or missing when an operand is not one.
                return new Checked(out, Type.NUMBER);
            }
            case EQ, NE -> {
                if (known(l.type) && known(r.type) && l.type != r.type && l.type != Type.NULL && r.type != Type.NULL
                        && !numericText(l, r) && !numericText(r, l) && !booleanText(l, r) && !booleanText(r, l)) {
                    throw new ExpressionError(b.pos(), "'" + b.op().symbol + "' compares a " + describe(l.type)
                            + " with a " + describe(r.type) + ": it can never be true");
                }
                return new Checked(out, Type.BOOL);
            }
            case LT, LE, GT, GE -> {
                for (Checked side : new Checked[]{l, r}) {
                    if (side.type == Type.BOOL || side.type == Type.LIST || side.type == Type.NULL) {
                        throw new ExpressionError(Expr.start(side.expr), "'" + b.op().symbol + "' cannot order a "
                                + describe(side.type) + (side.type == Type.NULL ? " (use '== null' to test for a missing value)" : ""));
                    }
                }
                if (known(l.type) && known(r.type) && l.type != r.type && !numericText(l, r) && !numericText(r, l)) {
                    throw new ExpressionError(b.pos(), "'" + b.op().symbol + "' compares a " + describe(l.type)
                            + " with a " + describe(r.type) + ": it can never be true");
                }
                return new Checked(out, Type.BOOL);
            }
            case IN, NOT_IN -> {
                if (r.type != Type.LIST && r.type != Type.ANY) {
                    throw new ExpressionError(Expr.start(b.right()), "'" + b.op().symbol + "' needs a list on its right, like ['a', 'b'], but this is a "
                            + describe(r.type));
                }
                return new Checked(out, Type.BOOL);
            }
            case CONTAINS, STARTS_WITH, ENDS_WITH -> {
                if (b.op() != Op.CONTAINS) {
                    for (Checked side : new Checked[]{l, r}) {
                        if (known(side.type) && side.type != Type.STRING) {
                            throw new ExpressionError(Expr.start(side.expr), "'" + b.op().symbol + "' works on text, but this is a "
                                    + describe(side.type));
                        }
                    }
                }
                return new Checked(out, Type.BOOL);
            }
            default -> throw new IllegalStateException("unexpected operator " + b.op());
        }
    }

    private Checked matches(Expr.Binary b, Checked left) throws ExpressionError {
        if (!(b.right() instanceof Expr.Literal lit) || !(lit.value() instanceof String regex)) {
            throw new ExpressionError(b.right().pos(), "'matches' takes a regular expression in quotes, like matches '^prod-'");
        }
        if (known(left.type) && left.type != Type.STRING) {
            throw new ExpressionError(Expr.start(b.left()), "'matches' works on text, but this is a " + describe(left.type));
        }
        try {
            return new Checked(new Expr.Matches(left.expr, LinearRegex.compile(regex), b.pos()), Type.BOOL);
        } catch (LinearRegex.Refused ex) {
            int at = lit.pos();
            if (ex.index() >= 0) {
                at = source != null ? Lexer.sourceOffset(source, lit.pos(), ex.index()) : lit.pos() + 1 + ex.index();
            }
            throw new ExpressionError(at, ex.getMessage());
        }
    }

    private Checked call(Expr.Call call) throws ExpressionError {
        if (WINDOW_FUNCTIONS.contains(call.function())) return window(call);
        Integer arity = FUNCTIONS.get(call.function());
        if (arity == null) {
            List<String> known = new ArrayList<>(FUNCTIONS.keySet());
            known.addAll(WINDOW_FUNCTIONS);
            String hint = Suggest.closest(call.function(), known);
            throw new ExpressionError(call.pos(), "unknown function '" + call.function() + "()'"
                    + (hint != null ? ": did you mean '" + hint + "()'?" : " (known: lower, upper, len, abs, count, count_all, count_fleet, sum, sum_all, sum_fleet)"));
        }
        if (call.args().size() != arity) {
            throw new ExpressionError(call.pos(), call.function() + "() takes " + arity + " argument"
                    + (arity == 1 ? "" : "s") + ", not " + call.args().size());
        }
        List<Expr> args = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        for (Expr a : call.args()) {
            Checked c = visit(a);
            args.add(c.expr);
            types.add(c.type);
        }
        Type t = types.get(0);
        switch (call.function()) {
            case "lower", "upper" -> {
                if (known(t) && t != Type.STRING) {
                    throw new ExpressionError(call.args().get(0).pos(), call.function() + "() works on text, but this is a " + describe(t));
                }
                return new Checked(new Expr.Call(call.function(), args, call.pos()), Type.STRING);
            }
            case "len" -> {
                if (known(t) && t != Type.STRING && t != Type.LIST) {
                    throw new ExpressionError(call.args().get(0).pos(), "len() measures text or a list, but this is a " + describe(t));
                }
                return new Checked(new Expr.Call(call.function(), args, call.pos()), Type.NUMBER);
            }
            default -> {
                if (known(t) && t != Type.NUMBER) {
                    throw new ExpressionError(call.args().get(0).pos(), "abs() takes a number, but this is a " + describe(t));
                }
                return new Checked(new Expr.Call(call.function(), args, call.pos()), Type.NUMBER);
            }
        }
    }

    private static final List<String> WINDOW_FUNCTIONS = List.of("count", "count_all", "count_fleet", "sum", "sum_all", "sum_fleet");
    /** A window moves in steps of 1/60 of its length: shorter than a second it would not be a budget, longer than a year not kept. */
    static final Duration MIN_WINDOW = Duration.ofSeconds(1);
    static final Duration MAX_WINDOW = Duration.ofDays(366);

    /**
     * {@code count([pattern,] window)}, {@code sum(expr, [pattern,] window)} and their {@code _all} and {@code _fleet} forms: the window a
     * literal duration, the pattern a quoted action glob, the summed expression numeric and read from the call alone.
     */
    private Checked window(Expr.Call call) throws ExpressionError {
        String fn = call.function();
        boolean sum = fn.startsWith("sum");
        int required = sum ? 2 : 1;
        List<Expr> args = call.args();
        if (args.size() < required || args.size() > required + 1) {
            throw new ExpressionError(call.pos(), fn + "() takes " + (sum ? "a number to add, an optional action pattern and a window, like "
                    + fn + "(cost, 1h) or " + fn + "(args.instances, 'scale_*', 1h)" : "an optional action pattern and a window, like "
                    + fn + "(1h) or " + fn + "('scale_*', 1h)") + ", not " + args.size() + " argument" + (args.size() == 1 ? "" : "s"));
        }
        Expr last = args.get(args.size() - 1);
        if (!(last instanceof Expr.Literal lit && lit.value() instanceof Duration length)) {
            boolean quoted = last instanceof Expr.Literal l && l.value() instanceof String s && Durations.parse(s) != null;
            throw new ExpressionError(Expr.start(last), "the window of " + fn + "() is a duration like 1h, 30m or 7d"
                    + (quoted ? ", written without quotes" : ""));
        }
        if (length.compareTo(MIN_WINDOW) < 0 || length.compareTo(MAX_WINDOW) > 0) {
            throw new ExpressionError(last.pos(), "a window is between 1s and 366d, not " + Durations.format(length));
        }
        Glob actions = args.size() == required + 1 ? glob(fn, args.get(required - 1)) : null;
        Expr summed = null;
        if (sum) {
            Expr raw = args.get(0);
            Expr.Call nested = windowCall(raw);
            if (nested != null) {
                throw new ExpressionError(nested.pos(), "windows do not nest: " + fn + "() adds a number of each call, not another window");
            }
            Checked c = visit(raw);
            if (c.type != Type.NUMBER && c.type != Type.ANY) {
                throw new ExpressionError(Expr.start(raw), fn + "() adds numbers, but this is a " + describe(c.type));
            }
            summable(fn, c.expr);
            summed = c.expr;
        }
        Window.Kind kind = sum ? Window.Kind.SUM : Window.Kind.COUNT;
        Window.Scope scope = fn.endsWith("_all") ? Window.Scope.ALL : fn.endsWith("_fleet") ? Window.Scope.FLEET : Window.Scope.AGENT;
        return new Checked(new Expr.Window(new Window(kind, scope, actions, length, summed), call.pos()), Type.NUMBER);
    }

    private Glob glob(String fn, Expr e) throws ExpressionError {
        if (!(e instanceof Expr.Literal lit && lit.value() instanceof String pattern)) {
            throw new ExpressionError(Expr.start(e), "the action pattern of " + fn + "() is text in quotes, like 'scale_*'");
        }
        if (pattern.isEmpty()) throw new ExpressionError(lit.pos(), "an empty action pattern matches no action: leave it out to count every action");
        int bad = Glob.invalidAt(pattern);
        if (bad >= 0) {
            int at = source != null ? Lexer.sourceOffset(source, lit.pos(), bad) : lit.pos() + 1 + bad;
            throw new ExpressionError(at, Lexer.printable(pattern.charAt(bad)) + " cannot appear in an action pattern:"
                    + " use letters, digits, _ . - : / and the wildcards * and ?");
        }
        return new Glob(pattern);
    }

    private static Expr.Call windowCall(Expr e) {
        if (e instanceof Expr.Call c) {
            if (WINDOW_FUNCTIONS.contains(c.function())) return c;
            for (Expr a : c.args()) {
                Expr.Call inner = windowCall(a);
                if (inner != null) return inner;
            }
        }
        if (e instanceof Expr.Binary b) {
            Expr.Call inner = windowCall(b.left());
            return inner != null ? inner : windowCall(b.right());
        }
        if (e instanceof Expr.Unary u) return windowCall(u.operand());
        return null;
    }

    /** A sum adds what the call itself says: its cost and arguments, numbers and arithmetic over them. */
    private static void summable(String fn, Expr e) throws ExpressionError {
        if (e instanceof Expr.Attr a) {
            if (a.attribute().kind() != Kind.COST && a.attribute().kind() != Kind.ARG) {
                throw new ExpressionError(e.pos(), fn + "() adds numbers of the call, its cost or args.NAME, not '" + a.attribute().key() + "'");
            }
        } else if (e instanceof Expr.Literal lit) {
            if (!(lit.value() instanceof Long || lit.value() instanceof BigDecimal)) {
                throw new ExpressionError(e.pos(), fn + "() adds numbers, but this is a " + describe(literalType(lit.value())));
            }
        } else if (e instanceof Expr.Binary b && (b.op() == Op.ADD || b.op() == Op.SUB || b.op() == Op.MUL || b.op() == Op.DIV)) {
            summable(fn, b.left());
            summable(fn, b.right());
        } else if (e instanceof Expr.Unary u && u.op() == Op.NEG) {
            summable(fn, u.operand());
        } else if (e instanceof Expr.Call c && c.function().equals("abs")) {
            summable(fn, c.args().get(0));
        } else {
            throw new ExpressionError(Expr.start(e), fn + "() adds numbers: use cost, args.NAME, numbers, + - * / and abs()");
        }
    }

    private static Checked resolve(Expr.Name name) throws ExpressionError {
        List<String> path = name.path();
        String head = path.get(0);
        if (head.equals("args")) {
            if (path.size() == 1) throw new ExpressionError(name.pos(), "'args' needs an argument name, like args.amount");
            return new Checked(new Expr.Attr(Attribute.arg(path.subList(1, path.size())), name.pos()), Type.ANY);
        }
        if (head.equals("time")) {
            if (path.size() == 2 && path.get(1).equals("hour")) {
                return new Checked(new Expr.Attr(Attribute.builtIn(Kind.TIME_HOUR), name.pos()), Type.ANY);
            }
            if (path.size() == 2 && path.get(1).equals("weekday")) {
                return new Checked(new Expr.Attr(Attribute.builtIn(Kind.TIME_WEEKDAY), name.pos()), Type.ANY);
            }
            String field = path.size() > 1 ? path.get(1) : "";
            String hint = Suggest.closest(field, List.of("hour", "weekday"));
            throw new ExpressionError(name.pos(), "'" + name.text() + "' is not a time attribute: use time.hour or time.weekday"
                    + (hint != null && path.size() == 2 ? " (did you mean 'time." + hint + "'?)" : ""));
        }
        if (head.equals("signal")) {
            if (path.size() != 2 || !SignalSlots.NAME.matcher(path.get(1)).matches()) {
                throw new ExpressionError(name.pos(), "'" + name.text() + "' is not a signal: write signal.NAME, like signal.error_rate"
                        + " (to read an argument called 'signal', write args." + name.text() + ")");
            }
            return new Checked(new Expr.Attr(Attribute.signal(path.get(1)), name.pos()), Type.ANY);
        }
        if (head.equals("agent") && path.size() == 2 && path.get(1).equals("denials_in_a_row")) {
            return new Checked(new Expr.Attr(Attribute.builtIn(Kind.DENIALS_IN_A_ROW), name.pos()), Type.ANY);
        }
        Kind builtIn = BUILT_INS.get(head);
        if (builtIn != null) {
            if (path.size() > 1) {
                throw new ExpressionError(name.pos(), "'" + head + "' has no fields: '" + name.text() + "' cannot be read"
                        + (head.equals("agent") ? " (the one is agent.denials_in_a_row)" : ""));
            }
            return new Checked(new Expr.Attr(Attribute.builtIn(builtIn), name.pos()), Type.ANY);
        }
        // arg0..argN are the names of arguments compiled without parameter names, never typos.
        String typo = head.matches("arg\\d+") ? null : Suggest.closest(head, KNOWN_NAMES);
        if (typo != null) {
            throw new ExpressionError(name.pos(), "unknown name '" + head + "': did you mean '" + typo
                    + "'? (to read an argument called '" + head + "', write args." + name.text() + ")");
        }
        // A bare name that is not built in is the argument of that name.
        return new Checked(new Expr.Attr(Attribute.arg(path), name.pos()), Type.ANY);
    }

    private static void requireBoolean(Checked c, Expr at, String op) throws ExpressionError {
        if (c.type != Type.BOOL && c.type != Type.ANY) {
            throw new ExpressionError(Expr.start(at), op + " needs true or false, but this is a " + describe(c.type));
        }
    }

    private static void requireNumber(Checked c, Expr at, String op) throws ExpressionError {
        if (known(c.type) && c.type != Type.NUMBER && !(c.type == Type.STRING && isNumericLiteral(c.expr))) {
            throw new ExpressionError(Expr.start(at), op + " needs numbers, but this is a " + describe(c.type));
        }
    }

    private static boolean known(Type t) {
        return t != Type.ANY;
    }

    /** A string literal that is a number compares with numbers, as documented. */
    private static boolean numericText(Checked text, Checked other) {
        return text.type == Type.STRING && other.type == Type.NUMBER && isNumericLiteral(text.expr);
    }

    /** A string literal {@code 'true'} or {@code 'false'} compares with booleans, as documented. */
    private static boolean booleanText(Checked text, Checked other) {
        return text.type == Type.STRING && other.type == Type.BOOL && text.expr instanceof Expr.Literal lit && Values.booleanOf(lit.value()) != null;
    }

    private static boolean isNumericLiteral(Expr e) {
        return e instanceof Expr.Literal lit && lit.value() instanceof String s && Values.number(s) != null;
    }

    private static Type literalType(Object v) {
        if (v == null) return Type.NULL;
        if (v instanceof String) return Type.STRING;
        if (v instanceof Long || v instanceof BigDecimal) return Type.NUMBER;
        if (v instanceof Boolean) return Type.BOOL;
        if (v instanceof Duration) return Type.DURATION;
        throw new IllegalStateException("unexpected literal " + v.getClass());
    }

    private static String describe(Type t) {
        return switch (t) {
            case BOOL -> "true/false value";
            case NUMBER -> "number";
            case STRING -> "string";
            case DURATION -> "duration";
            case LIST -> "list";
            case NULL -> "null";
            case ANY -> "value";
        };
    }
}
