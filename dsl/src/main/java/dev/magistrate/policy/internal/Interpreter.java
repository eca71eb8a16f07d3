package dev.magistrate.policy.internal;

import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.SignalSlots;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference evaluator: walks a checked tree. It is the specification the compiled policy is
 * tested against (differential tests), not the hot path.
 */
public final class Interpreter {

    private final ZoneId zone;

    public Interpreter(ZoneId zone) {
        this.zone = zone;
    }

    public boolean test(Expr condition, PolicyInput in) {
        return Values.truthy(eval(condition, in));
    }

    public Object eval(Expr e, PolicyInput in) {
        if (e instanceof Expr.Literal lit) return lit.value();
        if (e instanceof Expr.ListExpr list) {
            List<Object> out = new ArrayList<>(list.items().size());
            for (Expr item : list.items()) out.add(eval(item, in));
            return out;
        }
        if (e instanceof Expr.Attr attr) return fetch(attr.attribute(), in);
        if (e instanceof Expr.Window w) return in.window(w.window());
        if (e instanceof Expr.Matches m) return Values.matches(eval(m.left(), in), m.pattern());
        if (e instanceof Expr.Call call) {
            Object a = eval(call.args().get(0), in);
            return switch (call.function()) {
                case "lower" -> Values.lower(a);
                case "upper" -> Values.upper(a);
                case "len" -> Values.len(a);
                case "abs" -> Values.abs(a);
                default -> throw new IllegalStateException("unchecked function " + call.function());
            };
        }
        if (e instanceof Expr.Unary u) {
            Object v = eval(u.operand(), in);
            return u.op() == Expr.Op.NOT ? !Values.truthy(v) : Values.neg(v);
        }
        if (e instanceof Expr.Name) throw new IllegalStateException("unchecked expression: run the Checker first");
        Expr.Binary b = (Expr.Binary) e;
        switch (b.op()) {
            case AND:
                return Values.truthy(eval(b.left(), in)) && Values.truthy(eval(b.right(), in));
            case OR:
                return Values.truthy(eval(b.left(), in)) || Values.truthy(eval(b.right(), in));
            default:
                break;
        }
        Object l = eval(b.left(), in);
        Object r = eval(b.right(), in);
        return switch (b.op()) {
            case EQ -> isNullLiteral(b.left()) || isNullLiteral(b.right()) ? l == null && r == null : Values.eq(l, r);
            case NE -> isNullLiteral(b.left()) || isNullLiteral(b.right()) ? !(l == null && r == null) : Values.ne(l, r);
            case LT -> Values.lt(l, r);
            case LE -> Values.le(l, r);
            case GT -> Values.gt(l, r);
            case GE -> Values.ge(l, r);
            case IN -> Values.in(l, r);
            case NOT_IN -> Values.notIn(l, r);
            case CONTAINS -> Values.contains(l, r);
            case STARTS_WITH -> Values.startsWith(l, r);
            case ENDS_WITH -> Values.endsWith(l, r);
            case ADD -> Values.add(l, r);
            case SUB -> Values.sub(l, r);
            case MUL -> Values.mul(l, r);
            case DIV -> Values.div(l, r);
            default -> throw new IllegalStateException("unexpected operator " + b.op());
        };
    }

    /** {@code x == null} tests for a missing value; it is the one comparison that is true for one. */
    public static boolean isNullLiteral(Expr e) {
        return e instanceof Expr.Literal lit && lit.value() == null;
    }

    public Object fetch(Attribute a, PolicyInput in) {
        return switch (a.kind()) {
            case ACTION -> in.action();
            case RESOURCE -> in.resource();
            case AGENT -> in.agent();
            case JUSTIFICATION -> in.justification();
            case URGENCY -> in.urgency();
            case COST -> in.cost();
            case TIME_HOUR -> Values.hour(in.time(), zone);
            case TIME_WEEKDAY -> Values.weekday(in.time(), zone);
            case SIGNAL -> in.signal(SignalSlots.of(a.argPath().get(0)));
            case DENIALS_IN_A_ROW -> in.denialsInARow();
            case ARG -> {
                Attribute parent = a.parent();
                yield parent == null ? in.argument(a.argPath().get(0))
                        : Values.field(fetch(parent, in), a.argPath().get(a.argPath().size() - 1));
            }
        };
    }
}
