package dev.magistrate.policy;

import dev.magistrate.policy.GovernedCode.Parameter;
import dev.magistrate.policy.GovernedCode.ValueKind;
import dev.magistrate.policy.LintFinding.Severity;
import dev.magistrate.policy.YamlTree.Entry;
import dev.magistrate.policy.YamlTree.ListNode;
import dev.magistrate.policy.YamlTree.MapNode;
import dev.magistrate.policy.YamlTree.Node;
import dev.magistrate.policy.YamlTree.Scalar;
import dev.magistrate.policy.internal.Attribute;
import dev.magistrate.policy.internal.EqualityClass;
import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.Glob;
import dev.magistrate.policy.internal.Expr.Op;
import dev.magistrate.policy.internal.Suggest;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The lint stage: what a loaded, valid policy gets wrong about the code it governs, or about itself. Sound, not
 * complete: every finding is provable from the conditions and the parameter types under the value semantics of
 * {@code Values} (docs/policy-language.md, "Lint"); what cannot be proven is not reported.
 * <ul>
 *   <li>{@code unknown-argument}: {@code args.X} that no governed method of the rule's actions has;</li>
 *   <li>{@code argument-type}: a parameter compared so that the comparison is always false or always true
 *       (a number with text, a boolean with a number, ...), or text compared with a number (a warning);</li>
 *   <li>{@code unknown-action}: an action name no governed method has;</li>
 *   <li>{@code never-matches}: contradictory comparisons in one conjunction;</li>
 *   <li>{@code shadowed}: whenever the rule matches, a deny matches too, and a deny always wins;</li>
 *   <li>{@code conflict}: two rules with the same condition and different effects or tiers.</li>
 * </ul>
 * Without code ({@code null}), only the last three.
 */
public final class PolicyLint {

    private final PolicySet policy;
    private final GovernedCode code;
    private final Locations locations;
    private final List<LintFinding> findings = new ArrayList<>();
    private final Set<String> reported = new HashSet<>();

    private PolicyLint(PolicySet policy, GovernedCode code, Locations locations) {
        this.policy = policy;
        this.code = code;
        this.locations = locations;
    }

    /** Lints a policy loaded from files; positions inside conditions come from re-reading those files. */
    public static List<LintFinding> lint(PolicySet policy, GovernedCode code) {
        Map<String, String> sources = new LinkedHashMap<>();
        for (Rule r : policy.rules()) {
            String file = r.location().file();
            if (sources.containsKey(file)) continue;
            try {
                sources.put(file, Files.readString(Path.of(file)));
            } catch (IOException | RuntimeException e) {
                sources.put(file, null); // findings then point at the rule instead of inside its condition
            }
        }
        return lint(policy, sources, code);
    }

    /** Lints a policy parsed from {@code sources} (file name to text, as given to {@link PolicyLoader#parse(Map)}). */
    public static List<LintFinding> lint(PolicySet policy, Map<String, String> sources, GovernedCode code) {
        return lint(policy, sources, code, true);
    }

    /**
     * Only the findings that need the code (arguments, their types, actions): what can change as more code is seen,
     * so the agent runs this as each class is instrumented, and the rest once.
     */
    public static List<LintFinding> lintAgainstCode(PolicySet policy, Map<String, String> sources, GovernedCode code) {
        return lint(policy, sources, Objects.requireNonNull(code), false);
    }

    private static List<LintFinding> lint(PolicySet policy, Map<String, String> sources, GovernedCode code, boolean logic) {
        PolicyLint lint = new PolicyLint(policy, code, new Locations(sources));
        if (logic) lint.run();
        else for (Rule r : policy.rules()) lint.walk(r, r.condition(), null);
        lint.checkRollbackActions();
        List<String> files = new ArrayList<>(sources.keySet());
        lint.findings.sort(Comparator.comparingInt((LintFinding f) -> files.indexOf(f.location().file()))
                .thenComparingInt(f -> f.location().line()).thenComparingInt(f -> f.location().column()));
        return List.copyOf(lint.findings);
    }

    private void run() {
        List<Rule> rules = policy.rules();
        Set<Rule> neverMatch = new HashSet<>();
        for (Rule r : rules) {
            if (code != null) walk(r, r.condition(), null);
            Clash never = unsatisfiable(r.condition());
            if (never != null) {
                neverMatch.add(r);
                report(Severity.ERROR, "never-matches", r, "rule '" + r.name() + "' can never match: " + never.why, never.pos, null);
            }
        }
        Map<Rule, Set<String>> actions = new HashMap<>();
        for (Rule r : rules) actions.put(r, actionsOf(r.condition()));
        for (int i = 0; i < rules.size(); i++) {
            Rule later = rules.get(i);
            if (neverMatch.contains(later)) continue;
            for (int j = 0; j < i; j++) {
                Rule earlier = rules.get(j);
                if (neverMatch.contains(earlier) || disjoint(actions.get(earlier), actions.get(later))) continue;
                if (!implies(later.condition(), earlier.condition()) || !implies(earlier.condition(), later.condition())) continue;
                if (earlier.denies() != later.denies()) {
                    Rule allow = earlier.denies() ? later : earlier, deny = earlier.denies() ? earlier : later;
                    report(Severity.WARNING, "conflict", later, "rules '" + earlier.name() + "' and '" + later.name()
                            + "' have the same condition, but '" + deny.name() + "' denies: '" + allow.name()
                            + "' never decides anything, since a deny always wins", -1, null);
                } else if (!later.denies() && later.effectiveTier() != earlier.effectiveTier()) {
                    Rule lower = later.effectiveTier().compareTo(earlier.effectiveTier()) < 0 ? later : earlier;
                    Rule higher = lower == later ? earlier : later;
                    report(Severity.WARNING, "conflict", later, "rules '" + earlier.name() + "' (" + earlier.effectiveTier()
                            + ") and '" + later.name() + "' (" + later.effectiveTier() + ") have the same condition: the highest"
                            + " matched tier decides, so '" + lower.name() + "' is always raised to " + higher.effectiveTier(), -1, null);
                }
            }
        }
        for (Rule r : rules) {
            if (r.denies() || neverMatch.contains(r)) continue;
            for (Rule d : rules) {
                if (!d.denies() || neverMatch.contains(d) || disjoint(actions.get(r), actions.get(d))) continue;
                if (implies(d.condition(), r.condition())) continue; // the same condition: a conflict, reported above
                if (implies(r.condition(), d.condition())) {
                    report(Severity.WARNING, "shadowed", r, "rule '" + r.name() + "' never decides anything: whenever it matches,"
                            + " deny rule '" + d.name() + "' (" + d.location() + ") matches too, and a deny always wins, whatever"
                            + " the order of the rules", -1, null);
                    break;
                }
            }
        }
    }

    // ---- findings that need the governed code ----------------------------------------------------

    /** Checks arguments and actions in {@code e}, where only calls of {@code actions} (null: any) reach it. */
    private void walk(Rule r, Expr e, Set<String> actions) {
        if (e instanceof Expr.Binary b && b.op() == Op.AND) {
            Set<String> narrowed = intersect(actions, actionsOf(e));
            for (Expr c : conjuncts(e)) walk(r, c, narrowed);
        } else if (e instanceof Expr.Binary b) {
            checkActionNames(r, b);
            if (b.op() != Op.OR) checkType(r, comparison(b), actions);
            walk(r, b.left(), actions);
            walk(r, b.right(), actions);
        } else if (e instanceof Expr.Matches m) {
            checkActionNames(r, m);
            if (m.left() instanceof Expr.Attr a) checkType(r, new Cmp(a.attribute(), Op.MATCHES, List.of(), m.pos()), actions);
            walk(r, m.left(), actions);
        } else if (e instanceof Expr.Unary u) {
            walk(r, u.operand(), actions);
        } else if (e instanceof Expr.Call c) {
            for (Expr a : c.args()) walk(r, a, actions);
        } else if (e instanceof Expr.ListExpr l) {
            for (Expr a : l.items()) walk(r, a, actions);
        } else if (e instanceof Expr.Attr a && a.attribute().kind() == Attribute.Kind.ARG) {
            checkArgument(r, a, actions);
        } else if (e instanceof Expr.Window w) {
            walkWindow(r, w);
        }
    }

    /**
     * A window counts other calls than the rule's: those of its own action pattern. The pattern must match a governed action,
     * and what a sum adds up is read from the counted calls' arguments.
     */
    private void walkWindow(Rule r, Expr.Window w) {
        Glob pattern = w.window().actionPattern();
        Set<String> counted = null;
        if (pattern != null) {
            if (!code.complete()) return; // the counted actions may not have loaded yet
            counted = new TreeSet<>();
            for (String a : code.actions()) if (pattern.matches(a)) counted.add(a);
            if (counted.isEmpty()) {
                report(Severity.ERROR, "unknown-action", r, "the window " + w.window().definition() + " counts no call: no governed action"
                        + " matches '" + pattern.pattern() + "' (governed: " + String.join(", ", new TreeSet<>(code.actions())) + ")", w.pos(), null);
                return;
            }
        }
        if (w.window().summed() != null) walk(r, w.window().summed(), counted);
    }

    /** The governed methods that calls of {@code actions} can come from, or null when that cannot be known. */
    private List<GovernedCode.Method> methodsFor(Set<String> actions) {
        if (actions == null) {
            if (!code.complete()) return null; // more classes may load: "no method has it" is not provable yet
            return code.methodsByAction().values().stream().flatMap(List::stream).toList();
        }
        List<GovernedCode.Method> out = new ArrayList<>();
        for (String a : actions) out.addAll(code.methods(a));
        return out;
    }

    private void checkArgument(Rule r, Expr.Attr a, Set<String> actions) {
        List<GovernedCode.Method> methods = methodsFor(actions);
        if (methods == null || methods.isEmpty()) return;
        String name = a.attribute().argPath().get(0);
        Set<String> known = new TreeSet<>();
        for (GovernedCode.Method m : methods) {
            for (Parameter p : m.parameters()) {
                if (p.name().equals(name)) return;
                known.add(p.name());
            }
        }
        String hint = Suggest.closest(name, known);
        String scope = actions == null ? "no governed method" : "no governed method of " + actionList(actions);
        report(Severity.ERROR, "unknown-argument", r, "'" + a.attribute().key() + "' is never set: " + scope
                + " has an argument '" + name + "' (" + describeMethods(methods) + ")", a.pos(),
                hint != null ? "did you mean `" + hint + "`?" : null);
    }

    /** A {@code rollbacks:} entry for an action no governed method has never triggers: reported like a rule's unknown action. */
    private void checkRollbackActions() {
        if (code == null || !code.complete()) return;
        for (RollbackTrigger t : policy.rollbacks()) {
            if (code.actions().stream().anyMatch(t::appliesTo)) continue;
            String hint = Suggest.closest(t.action(), code.actions());
            LintFinding f = new LintFinding(Severity.ERROR, "unknown-action", "rollbacks", "no governed action matches the rollback's action '"
                    + t.action() + "', so it never triggers", t.location(), hint != null ? "did you mean `" + hint + "`?" : null);
            if (reported.add(f.format())) findings.add(f);
        }
    }

    private void checkActionNames(Rule r, Expr e) {
        if (code == null || !code.complete()) return;
        if (e instanceof Expr.Matches m) {
            if (m.left() instanceof Expr.Attr a && a.attribute().kind() == Attribute.Kind.ACTION
                    && code.actions().stream().noneMatch(x -> m.pattern().matcher(x).find())) {
                report(Severity.ERROR, "unknown-action", r, "no governed action matches '" + m.pattern().pattern()
                        + "' (governed: " + String.join(", ", new TreeSet<>(code.actions())) + ")", m.pos(), null);
            }
            return;
        }
        Cmp c = comparison((Expr.Binary) e);
        if (c == null || c.attr.kind() != Attribute.Kind.ACTION) return;
        switch (c.op) {
            case EQ, NE, IN, NOT_IN -> {
                for (Expr.Literal lit : c.values) {
                    if (lit.value() instanceof String name && !code.actions().contains(name)) {
                        String hint = Suggest.closest(name, code.actions());
                        report(Severity.ERROR, "unknown-action", r, "no governed method has the action '" + name + "'", lit.pos(),
                                hint != null ? "did you mean `" + hint + "`?" : null);
                    }
                }
            }
            case STARTS_WITH, ENDS_WITH -> {
                String s = (String) c.values.get(0).value();
                boolean any = code.actions().stream().anyMatch(x -> c.op == Op.STARTS_WITH ? x.startsWith(s) : x.endsWith(s));
                if (!any) {
                    report(Severity.ERROR, "unknown-action", r, "no governed action " + (c.op == Op.STARTS_WITH ? "starts" : "ends")
                            + " with '" + s + "'", c.pos, null);
                }
            }
            default -> {
            }
        }
    }

    /** What a comparison of a parameter of one kind with a literal always comes to. */
    private enum Verdict { DEPENDS, NEVER, ALWAYS, AS_NUMBER_ONLY }

    private void checkType(Rule r, Cmp c, Set<String> actions) {
        if (c == null || c.attr.kind() != Attribute.Kind.ARG || c.attr.argPath().size() != 1) return;
        List<GovernedCode.Method> methods = methodsFor(actions);
        if (methods == null) return;
        String name = c.attr.argPath().get(0);
        List<Parameter> params = new ArrayList<>();
        for (GovernedCode.Method m : methods) {
            for (Parameter p : m.parameters()) if (p.name().equals(name)) params.add(p);
        }
        if (params.isEmpty()) return;
        Set<Verdict> verdicts = new HashSet<>();
        for (Parameter p : params) verdicts.add(verdict(p.kind(), c));
        if (verdicts.size() != 1) return;
        Verdict v = verdicts.iterator().next();
        if (v == Verdict.DEPENDS) return;
        Parameter p = params.get(0);
        String what = c.op == Op.MATCHES ? "'matches'" : "'" + c.op.symbol + "' " + describe(c.values);
        String typed = "'" + c.attr.key() + "' is " + kindName(p.kind()) + " (" + p.javaType() + ")";
        if (v == Verdict.AS_NUMBER_ONLY) {
            report(Severity.WARNING, "argument-type", r, typed + ": " + what + " compares it as a number, which holds"
                    + " only for text that is a number (\"42\"); for any other text it is false", c.pos, null);
        } else {
            report(Severity.ERROR, "argument-type", r, typed + ": " + what + " is " + (v == Verdict.NEVER ? "never" : "always")
                    + " true" + (v == Verdict.ALWAYS ? " when it is set" : ""), c.pos, null);
        }
    }

    private static Verdict verdict(ValueKind kind, Cmp c) {
        if (kind == ValueKind.OTHER) return Verdict.DEPENDS;
        switch (c.op) {
            case STARTS_WITH, ENDS_WITH, CONTAINS, MATCHES -> {
                // Text operations on a number or a boolean: Values.text is null, so they are false.
                return kind == ValueKind.NUMBER || kind == ValueKind.BOOLEAN ? Verdict.NEVER : Verdict.DEPENDS;
            }
            case NE, NOT_IN -> {
                Verdict eq = verdict(kind, new Cmp(c.attr, c.op == Op.NE ? Op.EQ : Op.IN, c.values, c.pos));
                return eq == Verdict.NEVER ? Verdict.ALWAYS : Verdict.DEPENDS;
            }
            default -> {
                Verdict all = null;
                for (Expr.Literal lit : c.values) {
                    Verdict v = literalVerdict(kind, c.op == Op.IN ? Op.EQ : c.op, lit.value());
                    if (all != null && all != v) return Verdict.DEPENDS;
                    all = v;
                }
                return all == null ? Verdict.DEPENDS : all;
            }
        }
    }

    /** {@code param OP literal} for a parameter of {@code kind}, following Values.eq and Values.compare. */
    private static Verdict literalVerdict(ValueKind kind, Op op, Object lit) {
        boolean number = lit instanceof Long || lit instanceof BigDecimal;
        boolean numericText = lit instanceof String && EqualityClass.number(lit) != null;
        boolean booleanText = lit instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"));
        boolean ordering = op != Op.EQ;
        return switch (kind) {
            case NUMBER -> number || numericText ? Verdict.DEPENDS : Verdict.NEVER;
            case BOOLEAN -> !ordering && (lit instanceof Boolean || booleanText) ? Verdict.DEPENDS : Verdict.NEVER;
            // An enum is text by its constant's name: an identifier, never a number or a boolean.
            case ENUM -> number || lit instanceof Boolean || lit instanceof Duration || (numericText && !ordering)
                    ? Verdict.NEVER : Verdict.DEPENDS;
            case TEXT -> lit instanceof Duration ? Verdict.NEVER : number ? Verdict.AS_NUMBER_ONLY : Verdict.DEPENDS;
            case OTHER -> Verdict.DEPENDS;
        };
    }

    // ---- conditions that can never hold --------------------------------------------------------------

    private record Clash(String why, int pos) {
    }

    /** A proof that {@code e} is false for every call, or null. */
    private static Clash unsatisfiable(Expr e) {
        if (e instanceof Expr.Literal lit && Boolean.FALSE.equals(lit.value())) return new Clash("its condition is false", lit.pos());
        if (e instanceof Expr.Binary b && b.op() == Op.OR) {
            Clash left = unsatisfiable(b.left()), right = unsatisfiable(b.right());
            return left != null && right != null ? new Clash(left.why + "; and " + right.why, left.pos) : null;
        }
        if (!(e instanceof Expr.Binary b && b.op() == Op.AND)) return null;
        List<Expr> all = conjuncts(e);
        for (Expr c : all) {
            if (!(c instanceof Expr.Binary cb && cb.op() == Op.AND)) {
                Clash inner = unsatisfiable(c);
                if (inner != null) return inner;
            }
        }
        Map<String, List<Cmp>> byAttribute = new LinkedHashMap<>();
        for (Expr c : all) {
            Cmp cmp = c instanceof Expr.Binary cb ? comparison(cb) : null;
            if (cmp != null) byAttribute.computeIfAbsent(cmp.attr.key(), k -> new ArrayList<>()).add(cmp);
        }
        for (List<Cmp> cmps : byAttribute.values()) {
            Clash clash = clash(cmps);
            if (clash != null) return clash;
        }
        return null;
    }

    /** Two comparisons of one attribute, in one conjunction, that cannot both hold. */
    private static Clash clash(List<Cmp> cmps) {
        Interval range = Interval.ALL;
        Cmp lowFrom = null, highFrom = null;
        Set<String> equalTo = null;
        Cmp equalFrom = null;
        for (Cmp c : cmps) {
            Interval i = Interval.of(c);
            if (i != null) {
                Interval narrowed = range.intersect(i);
                if (narrowed.isEmpty()) {
                    // c's lower bound passes the upper bound so far, or its upper bound the lower one.
                    Cmp other = i.low != null && range.high != null && new Interval(i.low, i.lowOpen, range.high, range.highOpen).isEmpty()
                            ? highFrom : lowFrom;
                    return new Clash(text(other) + " and " + text(c) + " cannot both hold", c.pos);
                }
                if (!Interval.cmp(narrowed.low, range.low) || narrowed.lowOpen != range.lowOpen) lowFrom = c;
                if (!Interval.cmp(narrowed.high, range.high) || narrowed.highOpen != range.highOpen) highFrom = c;
                range = narrowed;
            }
            if (c.op == Op.EQ || c.op == Op.IN) {
                Set<String> classes = c.values.stream().map(l -> EqualityClass.of(l.value())).collect(Collectors.toSet());
                if (equalTo != null) {
                    Set<String> both = new HashSet<>(equalTo);
                    both.retainAll(classes);
                    if (both.isEmpty()) return new Clash(text(equalFrom) + " and " + text(c) + " cannot both hold", c.pos);
                    classes = both;
                }
                equalTo = classes;
                equalFrom = c;
            }
        }
        for (Cmp eq : cmps) {
            if (eq.op != Op.EQ) continue;
            for (Cmp ne : cmps) {
                if (ne.op == Op.NE && same(eq.values.get(0), ne.values.get(0))) {
                    return new Clash(text(eq) + " and " + text(ne) + " cannot both hold", Math.max(eq.pos, ne.pos));
                }
            }
        }
        return null;
    }

    /** The numbers a numeric comparison with a number literal admits ({@code x > 5}: (5, +inf)), or null. */
    private record Interval(BigDecimal low, boolean lowOpen, BigDecimal high, boolean highOpen) {
        static final Interval ALL = new Interval(null, true, null, true);

        static Interval of(Cmp c) {
            if (c.values.size() != 1 || !(c.values.get(0).value() instanceof Long || c.values.get(0).value() instanceof BigDecimal)) {
                return null;
            }
            BigDecimal v = EqualityClass.number(c.values.get(0).value());
            return switch (c.op) {
                case EQ -> new Interval(v, false, v, false);
                case LT -> new Interval(null, true, v, true);
                case LE -> new Interval(null, true, v, false);
                case GT -> new Interval(v, true, null, true);
                case GE -> new Interval(v, false, null, true);
                default -> null;
            };
        }

        Interval intersect(Interval o) {
            BigDecimal lo = low;
            boolean loOpen = lowOpen;
            if (o.low != null && (lo == null || o.low.compareTo(lo) > 0 || (o.low.compareTo(lo) == 0 && o.lowOpen))) {
                lo = o.low;
                loOpen = o.lowOpen;
            }
            BigDecimal hi = high;
            boolean hiOpen = highOpen;
            if (o.high != null && (hi == null || o.high.compareTo(hi) < 0 || (o.high.compareTo(hi) == 0 && o.highOpen))) {
                hi = o.high;
                hiOpen = o.highOpen;
            }
            return new Interval(lo, loOpen, hi, hiOpen);
        }

        boolean isEmpty() {
            if (low == null || high == null) return false;
            int c = low.compareTo(high);
            return c > 0 || (c == 0 && (lowOpen || highOpen));
        }

        boolean within(Interval o) {
            return intersect(o).sameBounds(this);
        }

        private boolean sameBounds(Interval o) {
            return cmp(low, o.low) && lowOpen == o.lowOpen && cmp(high, o.high) && highOpen == o.highOpen;
        }

        static boolean cmp(BigDecimal a, BigDecimal b) {
            return a == null ? b == null : b != null && a.compareTo(b) == 0;
        }
    }

    // ---- implication: whenever r holds, d holds ---------------------------------------------------------

    /** True only when every call that satisfies {@code r} satisfies {@code d}, by a proof this method can find. */
    static boolean implies(Expr r, Expr d) {
        if (d instanceof Expr.Literal lit && Boolean.TRUE.equals(lit.value())) return true;
        if (same(r, d)) return true;
        if (r instanceof Expr.Binary rb && rb.op() == Op.OR) return implies(rb.left(), d) && implies(rb.right(), d);
        if (d instanceof Expr.Binary db && db.op() == Op.AND) return implies(r, db.left()) && implies(r, db.right());
        if (d instanceof Expr.Binary db && db.op() == Op.OR && (implies(r, db.left()) || implies(r, db.right()))) return true;
        if (r instanceof Expr.Binary rb && rb.op() == Op.AND) {
            for (Expr c : conjuncts(r)) if (implies(c, d)) return true;
            return false;
        }
        Cmp rc = r instanceof Expr.Binary rb ? comparison(rb) : null;
        Cmp dc = d instanceof Expr.Binary db ? comparison(db) : null;
        return rc != null && dc != null && rc.attr.equals(dc.attr) && atomImplies(rc, dc);
    }

    private static boolean atomImplies(Cmp r, Cmp d) {
        Interval ri = Interval.of(r), di = Interval.of(d);
        if (ri != null && di != null && d.op != Op.EQ) return ri.within(di);
        boolean rEquals = r.op == Op.EQ || r.op == Op.IN;
        if (rEquals && (d.op == Op.EQ || d.op == Op.IN)) {
            // eq(x, a) implies eq(x, b) when a and b are the same literal.
            return r.values.stream().allMatch(a -> d.values.stream().anyMatch(b -> same(a, b)));
        }
        if (rEquals && (d.op == Op.NE || d.op == Op.NOT_IN)) {
            // eq(x, a) rules out eq(x, b) for every b that Values.eq can tell apart from a (see EqualityClass).
            Set<String> excluded = d.values.stream().map(l -> EqualityClass.of(l.value())).collect(Collectors.toSet());
            return r.values.stream().noneMatch(a -> excluded.contains(EqualityClass.of(a.value())));
        }
        return false;
    }

    /** The same expression, ignoring where it was written. */
    private static boolean same(Expr a, Expr b) {
        if (a instanceof Expr.Literal x && b instanceof Expr.Literal y) {
            if ((x.value() instanceof Long || x.value() instanceof BigDecimal) && (y.value() instanceof Long || y.value() instanceof BigDecimal)) {
                return EqualityClass.number(x.value()).compareTo(EqualityClass.number(y.value())) == 0;
            }
            return Objects.equals(x.value(), y.value());
        }
        if (a instanceof Expr.Attr x && b instanceof Expr.Attr y) return x.attribute().equals(y.attribute());
        if (a instanceof Expr.Unary x && b instanceof Expr.Unary y) return x.op() == y.op() && same(x.operand(), y.operand());
        if (a instanceof Expr.Binary x && b instanceof Expr.Binary y) {
            return x.op() == y.op() && same(x.left(), y.left()) && same(x.right(), y.right());
        }
        if (a instanceof Expr.Matches x && b instanceof Expr.Matches y) {
            return x.pattern().pattern().equals(y.pattern().pattern()) && x.pattern().flags() == y.pattern().flags()
                    && same(x.left(), y.left());
        }
        if (a instanceof Expr.ListExpr x && b instanceof Expr.ListExpr y) return sameAll(x.items(), y.items());
        if (a instanceof Expr.Call x && b instanceof Expr.Call y) return x.function().equals(y.function()) && sameAll(x.args(), y.args());
        return false;
    }

    private static boolean sameAll(List<Expr> a, List<Expr> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!same(a.get(i), b.get(i))) return false;
        return true;
    }

    // ---- comparisons of one attribute with literals ---------------------------------------------------

    /**
     * {@code attribute OP literal} (or a list of literals for {@code in}), with the literal side turned to the right:
     * {@code 5 < cost} is {@code cost > 5}. Comparisons with {@code null} are left out: {@code == null} tests presence.
     */
    private record Cmp(Attribute attr, Op op, List<Expr.Literal> values, int pos) {
    }

    private static Cmp comparison(Expr.Binary b) {
        Op op = b.op();
        if (b.left() instanceof Expr.Attr a && b.right() instanceof Expr.Literal lit && lit.value() != null) {
            return switch (op) {
                case EQ, NE, LT, LE, GT, GE -> new Cmp(a.attribute(), op, List.of(lit), b.pos());
                case CONTAINS, STARTS_WITH, ENDS_WITH -> lit.value() instanceof String ? new Cmp(a.attribute(), op, List.of(lit), b.pos()) : null;
                default -> null;
            };
        }
        if (b.left() instanceof Expr.Literal lit && lit.value() != null && b.right() instanceof Expr.Attr a) {
            Op flipped = switch (op) {
                case EQ, NE -> op;
                case LT -> Op.GT;
                case LE -> Op.GE;
                case GT -> Op.LT;
                case GE -> Op.LE;
                default -> null;
            };
            return flipped == null ? null : new Cmp(a.attribute(), flipped, List.of(lit), b.pos());
        }
        if ((op == Op.IN || op == Op.NOT_IN) && b.left() instanceof Expr.Attr a && b.right() instanceof Expr.ListExpr list
                && !list.items().isEmpty()) {
            List<Expr.Literal> items = new ArrayList<>();
            for (Expr item : list.items()) {
                if (!(item instanceof Expr.Literal lit) || lit.value() == null) return null;
                items.add(lit);
            }
            return new Cmp(a.attribute(), op, items, b.pos());
        }
        return null;
    }

    /** The actions a call must have for {@code e} to hold, or null when any action can. */
    private static Set<String> actionsOf(Expr e) {
        if (e instanceof Expr.Binary b && b.op() == Op.AND) return intersect(actionsOf(b.left()), actionsOf(b.right()));
        if (e instanceof Expr.Binary b && b.op() == Op.OR) {
            Set<String> l = actionsOf(b.left()), r = actionsOf(b.right());
            if (l == null || r == null) return null;
            Set<String> union = new LinkedHashSet<>(l);
            union.addAll(r);
            return union;
        }
        Cmp c = e instanceof Expr.Binary b ? comparison(b) : null;
        if (c == null || c.attr.kind() != Attribute.Kind.ACTION || (c.op != Op.EQ && c.op != Op.IN)) return null;
        Set<String> names = new LinkedHashSet<>();
        for (Expr.Literal lit : c.values) {
            if (!(lit.value() instanceof String s)) return null;
            names.add(s);
        }
        return names;
    }

    /** Rules for different actions: neither can imply the other (a rule that can match at all). Skipping them keeps big sets fast. */
    private static boolean disjoint(Set<String> a, Set<String> b) {
        return a != null && b != null && intersect(a, b).isEmpty();
    }

    private static Set<String> intersect(Set<String> a, Set<String> b) {
        if (a == null) return b;
        if (b == null) return a;
        Set<String> both = new LinkedHashSet<>(a);
        both.retainAll(b);
        return both;
    }

    private static List<Expr> conjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e instanceof Expr.Binary b && b.op() == Op.AND) {
            out.addAll(conjuncts(b.left()));
            out.addAll(conjuncts(b.right()));
        } else {
            out.add(e);
        }
        return out;
    }

    // ---- messages -------------------------------------------------------------------------------

    private static String text(Cmp c) {
        return c.attr.key() + " " + c.op.symbol + " " + describe(c.values);
    }

    private static String describe(List<Expr.Literal> values) {
        if (values.size() == 1 && values.get(0).value() != null) return literal(values.get(0).value());
        return values.stream().map(l -> literal(l.value())).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String literal(Object v) {
        if (v instanceof String s) return "'" + s + "'";
        if (v instanceof BigDecimal d) return d.toPlainString();
        if (v instanceof Duration d) return d.toString();
        return String.valueOf(v);
    }

    private static String kindName(ValueKind kind) {
        return switch (kind) {
            case NUMBER -> "a number";
            case BOOLEAN -> "true/false";
            case TEXT -> "text";
            case ENUM -> "an enum (text by its constant's name)";
            case OTHER -> "a value";
        };
    }

    private static String actionList(Set<String> actions) {
        return actions.size() == 1 ? "'" + actions.iterator().next() + "'"
                : actions.stream().map(a -> "'" + a + "'").collect(Collectors.joining(", ", "[", "]"));
    }

    private static String describeMethods(List<GovernedCode.Method> methods) {
        List<String> parts = new ArrayList<>();
        for (GovernedCode.Method m : methods) {
            if (parts.size() == 3) {
                parts.add("...");
                break;
            }
            parts.add(m.where() + "(" + m.parameters().stream().map(Parameter::name).collect(Collectors.joining(", ")) + ")");
        }
        return String.join(", ", parts);
    }

    private void report(Severity severity, String kind, Rule r, String message, int offset, String suggestion) {
        SourceLocation at = offset >= 0 ? locations.locate(r, offset) : r.location();
        LintFinding f = new LintFinding(severity, kind, r.name(), message, at, suggestion);
        if (reported.add(f.format())) findings.add(f);
    }

    /** Where each rule's condition is in its file, to turn an offset in the condition into file:line:col. */
    private static final class Locations {
        private final Map<String, ConditionLocator> byRule = new LinkedHashMap<>();
        private final Map<String, SourceLocation> conditionAt = new LinkedHashMap<>();

        Locations(Map<String, String> sources) {
            for (Map.Entry<String, String> s : sources.entrySet()) {
                if (s.getValue() == null) continue;
                Node root;
                try {
                    root = YamlTree.read(s.getKey(), s.getValue());
                } catch (YamlTree.YamlProblem e) {
                    continue;
                }
                if (!(root instanceof MapNode top) || top.entries().get("policies") == null
                        || !(top.entries().get("policies").value() instanceof ListNode list)) continue;
                String[] lines = s.getValue().split("\r?\n", -1);
                for (Node item : list.items()) {
                    if (!(item instanceof MapNode m)) continue;
                    Entry name = m.entries().get("name"), condition = m.entries().get("condition");
                    if (name == null || condition == null || !(name.value() instanceof Scalar n) || !(condition.value() instanceof Scalar c)) continue;
                    String key = s.getKey() + "\0" + n.text();
                    conditionAt.put(key, c.at());
                    ConditionLocator locator = c.text() == null ? null : ConditionLocator.of(lines, c.at(), c.text());
                    if (locator != null) byRule.put(key, locator);
                }
            }
        }

        SourceLocation locate(Rule r, int offset) {
            String key = r.location().file() + "\0" + r.name();
            ConditionLocator locator = byRule.get(key);
            if (locator != null && r.conditionText() != null && offset <= r.conditionText().length()) {
                return locator.locate(r.location().file(), offset);
            }
            return conditionAt.getOrDefault(key, r.location());
        }
    }
}
