package dev.magistrate.policy;

import com.google.re2j.Pattern;
import dev.magistrate.policy.internal.Attribute;
import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.Expr.Op;
import dev.magistrate.policy.internal.Interpreter;
import org.codehaus.commons.compiler.CompileException;
import org.codehaus.janino.SimpleCompiler;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The last stage: turns a checked {@link PolicySet} into one JVM class with Janino. Attributes
 * become lazily fetched locals (each read at most once per rule group), regexes and literals
 * become static final constants, rules become straight-line code, and rules that test
 * {@code action == '...'} are only evaluated for that action: each action's rules live in a
 * nested class of their own ({@link GeneratedPolicy.ActionRules}), which {@code match} calls
 * through the action index, so that the JIT compiles every action's rules on their own with its
 * whole inlining budget instead of inlining as many actions into one method as fit.
 *
 * <p>No text from the policy ever reaches the generated source: strings, regexes, numbers that are
 * not plain longs, names and paths are handed to the class as constants, and comments carry only
 * rule names stripped to a safe alphabet. The DSL is untrusted input.
 *
 * <p>Set {@code -Dmagistrate.policy.dumpSource=DIR} to write each generated class's source there.
 */
public final class PolicyCompiler {

    private static final AtomicLong IDS = new AtomicLong();
    private static final String PACKAGE = "dev.magistrate.policy.generated";
    private static final String V = "Values";
    /** Keeps each generated method far below the JIT's 8000-byte limit for compiling a method at all. */
    private static final int CHUNK_RULES = 16;
    private static final int CHUNK_NODES = 160;

    private PolicyCompiler() {
    }

    public static CompiledPolicy compile(PolicySet set) {
        long id = IDS.incrementAndGet();
        Generated g = generate(set, id);
        String dumpDir = System.getProperty("magistrate.policy.dumpSource");
        if (dumpDir != null) {
            try {
                Files.createDirectories(Path.of(dumpDir));
                Files.writeString(Path.of(dumpDir, g.simpleName + ".java"), g.source);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write generated source to " + dumpDir, e);
            }
        }
        SimpleCompiler compiler = new SimpleCompiler();
        compiler.setParentClassLoader(GeneratedPolicy.class.getClassLoader());
        try {
            compiler.cook(g.simpleName + ".java", g.source);
            Class<?> cls = compiler.getClassLoader().loadClass(PACKAGE + "." + g.simpleName);
            GeneratedPolicy.handOff(id, g.constants.toArray());
            GeneratedPolicy policy = (GeneratedPolicy) cls.getConstructor(PolicySet.class).newInstance(set);
            if (!set.rollbacks().isEmpty()) policy.rollbacks(Rollback.compile(set));
            return policy;
        } catch (CompileException e) {
            throw new IllegalStateException("generated policy source did not compile (a Magistrate bug): " + e.getMessage()
                    + "\n" + g.source, e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the generated policy", e);
        }
    }

    /** The Java source the compiler would generate for this set, for debugging. */
    public static String source(PolicySet set) {
        return generate(set, 0).source;
    }

    private record Generated(String simpleName, String source, List<Object> constants) {
    }

    private static Generated generate(PolicySet set, long id) {
        return new Codegen(set, id).run();
    }

    /** Builds the source of one class. */
    private static final class Codegen {
        final PolicySet set;
        final long id;
        final String simpleName;
        final List<Object> constants = new ArrayList<>();
        final Map<Object, String> constantFields = new HashMap<>();
        final StringBuilder fields = new StringBuilder();
        final StringBuilder methods = new StringBuilder();
        final boolean wide;
        int chunkCount;
        // Per chunk method: attribute key to local variable, in order of first use.
        Map<String, String> locals;
        StringBuilder localDecls;
        String localIndent;

        Codegen(PolicySet set, long id) {
            this.set = set;
            this.id = id;
            this.simpleName = "Policy" + id;
            this.wide = set.rules().size() > 64;
        }

        Generated run() {
            constant(set.zone(), "ZoneId"); // K[0]: the zone, so that Z is always defined
            List<Rule> rules = set.rules();
            // Index rules by the action they require; the rest are evaluated for every call.
            List<Integer> global = new ArrayList<>();
            Map<String, List<Integer>> byAction = new LinkedHashMap<>();
            for (int i = 0; i < rules.size(); i++) {
                Set<String> actions = requiredActions(rules.get(i).condition());
                if (actions == null) {
                    global.add(i);
                } else {
                    for (String a : actions) byAction.computeIfAbsent(a, k -> new ArrayList<>()).add(i);
                }
            }
            List<String> globalCalls = new ArrayList<>();
            for (List<Integer> chunk : chunks(global)) {
                String name = "c" + chunkCount++;
                methods.append(chunkMethod("    ", name, chunk, null));
                globalCalls.add(call(name));
            }
            Map<String, Integer> groupOf = new HashMap<>();
            StringBuilder actionClasses = new StringBuilder();
            for (Map.Entry<String, List<Integer>> e : byAction.entrySet()) {
                String name = "Action" + groupOf.size();
                groupOf.put(e.getKey().intern(), groupOf.size());
                actionClasses.append(actionClass(name, e.getValue(), e.getKey()));
            }
            // A plain HashMap that only the generated code reads: its get inlines where a wrapper's would be compiled big
            // by every other user of the JDK's wrapper and then called, not inlined.
            String actionIndex = constant(groupOf, "java.util.HashMap");

            StringBuilder matchBody = new StringBuilder();
            String sig = wide ? "protected void matchWide(PolicyInput in, long[] m)"
                    : "protected long match(PolicyInput in)";
            matchBody.append("    ").append(sig).append(" {\n");
            if (!wide) matchBody.append("        long m = 0L;\n");
            for (String call : globalCalls) matchBody.append("        ").append(call).append(";\n");
            if (!groupOf.isEmpty()) {
                matchBody.append("        Integer g = (Integer) ").append(actionIndex).append(".get(in.action());\n");
                matchBody.append("        if (g != null) ").append(wide ? "ACTIONS[g.intValue()].matchWide(in, m)"
                        : "m |= ACTIONS[g.intValue()].match(in)").append(";\n");
            }
            if (!wide) matchBody.append("        return m;\n");
            matchBody.append("    }\n");

            StringBuilder src = new StringBuilder();
            src.append("package ").append(PACKAGE).append(";\n\n");
            // Single-type imports: Janino resolves them directly instead of probing packages.
            src.append("import dev.magistrate.policy.GeneratedPolicy;\n");
            src.append("import dev.magistrate.policy.PolicyInput;\n");
            src.append("import dev.magistrate.policy.PolicySet;\n");
            src.append("import dev.magistrate.policy.internal.Values;\n");
            src.append("import java.time.ZoneId;\nimport java.util.Arrays;\nimport java.util.List;\nimport java.util.Map;\n");
            src.append("import com.google.re2j.Pattern;\n\n");
            src.append("/** Generated by Magistrate's PolicyCompiler for policy set ").append(set.version()).append(". */\n");
            src.append("public final class ").append(simpleName).append(" extends GeneratedPolicy {\n\n");
            // Package-private, not private: the nested action classes read them directly, without accessors.
            src.append("    static final Object[] K = GeneratedPolicy.constants(").append(id).append("L);\n");
            src.append("    static final Object U = GeneratedPolicy.UNRESOLVED;\n");
            src.append(fields);
            if (!groupOf.isEmpty()) {
                src.append("    private static final GeneratedPolicy.ActionRules[] ACTIONS = {");
                for (int g = 0; g < groupOf.size(); g++) src.append(g == 0 ? "" : ", ").append("new Action").append(g).append("()");
                src.append("};\n");
            }
            src.append('\n');
            src.append("    public ").append(simpleName).append("(PolicySet set) {\n        super(set);\n    }\n\n");
            src.append(matchBody).append('\n');
            src.append(methods);
            src.append(actionClasses);
            src.append("}\n");
            return new Generated(simpleName, src.toString(), constants);
        }

        /** Splits rules into runs that each keep a method far below the JIT's limit for compiling it at all. */
        List<List<Integer>> chunks(List<Integer> ruleIndexes) {
            List<List<Integer>> out = new ArrayList<>();
            int start = 0;
            while (start < ruleIndexes.size()) {
                int end = start;
                int nodes = 0;
                while (end < ruleIndexes.size() && end - start < CHUNK_RULES
                        && (end == start || nodes + size(set.rules().get(ruleIndexes.get(end)).condition()) <= CHUNK_NODES)) {
                    nodes += size(set.rules().get(ruleIndexes.get(end)).condition());
                    end++;
                }
                out.add(ruleIndexes.subList(start, end));
                start = end;
            }
            return out;
        }

        /** The statement that ORs a chunk method's matches into {@code m}. */
        String call(String chunkName) {
            return wide ? chunkName + "(in, m)" : "m |= " + chunkName + "(in)";
        }

        /**
         * One action's rules as a nested class. With one chunk, the rules are the body of its {@code match}, so that
         * nothing is left for the JIT to decide to inline or not; with more, {@code match} calls the chunk methods.
         */
        String actionClass(String name, List<Integer> ruleIndexes, String action) {
            List<List<Integer>> chunks = chunks(ruleIndexes);
            String signature = wide ? "public void matchWide(PolicyInput in, long[] m)" : "public long match(PolicyInput in)";
            StringBuilder cls = new StringBuilder();
            cls.append("    static final class ").append(name).append(" extends GeneratedPolicy.ActionRules {\n");
            if (chunks.size() == 1) {
                cls.append(method("        ", signature, rules(chunks.get(0), action, "            ")));
            } else {
                StringBuilder calls = new StringBuilder();
                StringBuilder chunkMethods = new StringBuilder();
                for (List<Integer> chunk : chunks) {
                    String chunkName = "c" + chunkCount++;
                    calls.append("            ").append(call(chunkName)).append(";\n");
                    chunkMethods.append(chunkMethod("        ", chunkName, chunk, action));
                }
                cls.append(method("        ", signature, calls.toString())).append(chunkMethods);
            }
            cls.setLength(cls.length() - 1); // the last method's blank line
            return cls.append("    }\n\n").toString();
        }

        /** {@code action} is the group's action, already tested by the dispatch; null for global rules. */
        String chunkMethod(String indent, String name, List<Integer> ruleIndexes, String action) {
            String signature = "private static " + (wide ? "void " : "long ") + name + "(PolicyInput in" + (wide ? ", long[] m)" : ")");
            return method(indent, signature, rules(ruleIndexes, action, indent + "    "));
        }

        /** A method that ORs matches into {@code m}: a local it returns, or the caller's array when wide. */
        String method(String indent, String signature, String body) {
            StringBuilder out = new StringBuilder();
            out.append(indent).append(signature).append(" {\n");
            if (!wide) out.append(indent).append("    long m = 0L;\n");
            out.append(body);
            if (!wide) out.append(indent).append("    return m;\n");
            return out.append(indent).append("}\n\n").toString();
        }

        /** The rules' statements, preceded by the declarations of the attribute locals they read (per method). */
        String rules(List<Integer> ruleIndexes, String action, String indent) {
            locals = new LinkedHashMap<>();
            localDecls = new StringBuilder();
            localIndent = indent;
            StringBuilder body = new StringBuilder();
            for (int i : ruleIndexes) {
                Rule r = set.rules().get(i);
                body.append(indent).append("// rule ").append(i).append(": ").append(safeComment(r.name())).append('\n');
                String hit = wide ? "m[" + (i / 64) + "] |= " + hex(1L << (i % 64)) + ";"
                        : "m |= " + hex(1L << i) + ";";
                Expr condition = action == null ? r.condition() : withoutActionTest(r.condition(), action);
                body.append(indent).append("if (").append(bool(condition)).append(") ").append(hit).append('\n');
            }
            return localDecls.toString() + body;
        }

        // ---- expressions ----

        String bool(Expr e) {
            if (e instanceof Expr.Literal lit) return Boolean.TRUE.equals(lit.value()) ? "true" : "false";
            if (e instanceof Expr.Matches m) return V + ".matches(" + obj(m.left()) + ", " + constant(m.pattern(), "Pattern") + ")";
            if (e instanceof Expr.Unary u && u.op() == Op.NOT) return "!(" + bool(u.operand()) + ")";
            if (e instanceof Expr.Binary b) {
                switch (b.op()) {
                    case AND: return "(" + bool(b.left()) + " && " + bool(b.right()) + ")";
                    case OR: return "(" + bool(b.left()) + " || " + bool(b.right()) + ")";
                    case EQ: case NE: return equality(b);
                    case LT: case LE: case GT: case GE: return order(b);
                    case IN: case NOT_IN: return membership(b);
                    case CONTAINS: return V + ".contains(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    case STARTS_WITH: return V + ".startsWith(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    case ENDS_WITH: return V + ".endsWith(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    default: break;
                }
            }
            return V + ".truthy(" + obj(e) + ")";
        }

        /** {@code x in [...]}: over a literal list of strings, a precomputed set answers text in one lookup. */
        String membership(Expr.Binary b) {
            boolean in = b.op() == Op.IN;
            if (b.right() instanceof Expr.ListExpr list && !list.items().isEmpty() && list.items().stream()
                    .allMatch(i -> i instanceof Expr.Literal lit && lit.value() instanceof String)) {
                Set<String> texts = new HashSet<>();
                for (Expr i : list.items()) texts.add(((String) ((Expr.Literal) i).value()).intern());
                return V + (in ? ".inTexts(" : ".notInTexts(") + obj(b.left()) + ", "
                        + constant(texts, "java.util.HashSet") + ", " + obj(b.right()) + ")"; // a plain set: see inTexts
            }
            return V + (in ? ".in(" : ".notIn(") + obj(b.left()) + ", " + obj(b.right()) + ")";
        }

        String equality(Expr.Binary b) {
            boolean eq = b.op() == Op.EQ;
            boolean ln = Interpreter.isNullLiteral(b.left()), rn = Interpreter.isNullLiteral(b.right());
            if (ln && rn) return eq ? "true" : "false";
            if (ln || rn) return "(" + obj(ln ? b.right() : b.left()) + (eq ? " == null)" : " != null)");
            if (!eq) return V + ".ne(" + obj(b.left()) + ", " + obj(b.right()) + ")";
            // Equality is symmetric: put a literal on the right to use the fast overloads.
            Expr l = b.left(), r = b.right();
            if (l instanceof Expr.Literal && !(r instanceof Expr.Literal)) {
                Expr t = l;
                l = r;
                r = t;
            }
            if (r instanceof Expr.Literal lit && lit.value() instanceof String s) {
                return V + ".eq(" + obj(l) + ", " + constant(s, "String") + ")";
            }
            if (r instanceof Expr.Literal lit && lit.value() instanceof Long n) {
                return V + ".eq(" + obj(l) + ", " + n + "L)";
            }
            return V + ".eq(" + obj(l) + ", " + obj(r) + ")";
        }

        String order(Expr.Binary b) {
            Op op = b.op();
            Expr l = b.left(), r = b.right();
            if (l instanceof Expr.Literal lit && lit.value() instanceof Long && !(r instanceof Expr.Literal)) {
                Expr t = l;
                l = r;
                r = t;
                op = switch (op) {
                    case LT -> Op.GT;
                    case LE -> Op.GE;
                    case GT -> Op.LT;
                    default -> Op.LE;
                };
            }
            String fn = switch (op) {
                case LT -> "lt";
                case LE -> "le";
                case GT -> "gt";
                default -> "ge";
            };
            if (r instanceof Expr.Literal lit && lit.value() instanceof Long n) {
                return V + "." + fn + "(" + obj(l) + ", " + n + "L)";
            }
            return V + "." + fn + "(" + obj(l) + ", " + obj(r) + ")";
        }

        String obj(Expr e) {
            if (e instanceof Expr.Literal lit) {
                Object v = lit.value();
                if (v == null) return "null";
                if (v instanceof Boolean bv) return bv ? "Boolean.TRUE" : "Boolean.FALSE";
                if (v instanceof String s) return constant(s, "String");
                return constant(v, "Object"); // Long, BigDecimal, Duration: boxed once, here
            }
            if (e instanceof Expr.ListExpr list) {
                if (list.items().stream().allMatch(i -> i instanceof Expr.Literal)) {
                    Object[] items = list.items().stream().map(i -> ((Expr.Literal) i).value())
                            .map(v -> v instanceof String s ? s.intern() : v).toArray();
                    return constant(Collections.unmodifiableList(Arrays.asList(items)), "List");
                }
                StringBuilder sb = new StringBuilder("Arrays.asList(new Object[] {");
                for (int i = 0; i < list.items().size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(obj(list.items().get(i)));
                }
                return sb.append("})").toString();
            }
            if (e instanceof Expr.Attr a) return attribute(a.attribute());
            if (e instanceof Expr.Window w) return window(w.window());
            if (e instanceof Expr.Call c) return V + "." + c.function() + "(" + obj(c.args().get(0)) + ")";
            if (e instanceof Expr.Unary u && u.op() == Op.NEG) return V + ".neg(" + obj(u.operand()) + ")";
            if (e instanceof Expr.Binary b) {
                switch (b.op()) {
                    case ADD: return V + ".add(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    case SUB: return V + ".sub(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    case MUL: return V + ".mul(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    case DIV: return V + ".div(" + obj(b.left()) + ", " + obj(b.right()) + ")";
                    default: break;
                }
            }
            return "Boolean.valueOf(" + bool(e) + ")";
        }

        /** A lazily fetched local: read on first use in this chunk, then reused. */
        String attribute(Attribute a) {
            return lazy(a.key(), () -> fetch(a));
        }

        /** A window's total: read through the input like an attribute; the window is a constant, never source text. */
        String window(Window w) {
            return lazy("window " + w.definition(), () -> "in.window(" + constant(w, "dev.magistrate.policy.Window") + ")");
        }

        private String lazy(String key, Supplier<String> fetch) {
            String local = locals.get(key);
            if (local == null) {
                local = "v" + locals.size();
                locals.put(key, local);
                localDecls.append(localIndent).append("Object ").append(local).append(" = U;\n");
            }
            return "(" + local + " != U ? " + local + " : (" + local + " = " + fetch.get() + "))";
        }

        String fetch(Attribute a) {
            return switch (a.kind()) {
                case ACTION -> "in.action()";
                case RESOURCE -> "in.resource()";
                case AGENT -> "in.agent()";
                case JUSTIFICATION -> "in.justification()";
                case URGENCY -> "in.urgency()";
                case COST -> "in.cost()";
                case TIME_HOUR -> V + ".hour(in.time(), (ZoneId) K[0])";
                case TIME_WEEKDAY -> V + ".weekday(in.time(), (ZoneId) K[0])";
                // The slot is a number this JVM assigned to the name, never the name's text.
                case SIGNAL -> "in.signal(" + SignalSlots.of(a.argPath().get(0)) + ")";
                case DENIALS_IN_A_ROW -> "in.denialsInARow()";
                case ARG -> {
                    Attribute parent = a.parent();
                    String last = a.argPath().get(a.argPath().size() - 1);
                    yield parent == null ? "in.argument(" + constant(last, "String") + ")"
                            : V + ".field(" + attribute(parent) + ", " + constant(last, "String") + ")";
                }
            };
        }

        /**
         * A static final field holding a constant value; equal values share one field. Texts are interned (as are the
         * {@code in} sets' members and the action index's keys): an input holding the same instance, as Java literals and
         * annotation values do, then passes {@code String.equals}' identity check instead of comparing characters.
         */
        String constant(Object value, String type) {
            if (value instanceof String s) value = s.intern();
            Object key = value instanceof Pattern p ? List.of("regex", p.pattern(), p.flags()) : List.of(value.getClass(), value);
            String existing = constantFields.get(key);
            if (existing != null) return existing;
            int index = constants.size();
            constants.add(value);
            String field = "K" + index;
            fields.append("    static final ").append(type).append(' ').append(field).append(" = (")
                    .append(type).append(") K[").append(index).append("];\n");
            constantFields.put(key, field);
            return field;
        }

        static String hex(long bit) {
            return "0x" + Long.toHexString(bit) + "L";
        }

        /** Rule names in comments, reduced to characters that cannot end a comment or start an escape. */
        static String safeComment(String name) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < name.length() && sb.length() < 60; i++) {
                char c = name.charAt(i);
                sb.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == ' ' || c == '-' || c == '_' || c == '.' || c == ',' || c == ':' ? c : '_');
            }
            return sb.toString();
        }

        /**
         * The actions a condition requires through a top-level conjunct {@code action == 'x'} or
         * {@code action in ['x', 'y']}; null when it can match any action.
         */
        static Set<String> requiredActions(Expr e) {
            if (e instanceof Expr.Binary b && b.op() == Op.AND) {
                Set<String> l = requiredActions(b.left());
                Set<String> r = requiredActions(b.right());
                if (l == null) return r;
                if (r == null) return l;
                Set<String> both = new LinkedHashSet<>(l);
                both.retainAll(r);
                return both;
            }
            if (e instanceof Expr.Binary b && b.op() == Op.EQ) {
                String s = actionEquals(b.left(), b.right());
                if (s == null) s = actionEquals(b.right(), b.left());
                return s == null ? null : Set.of(s);
            }
            if (e instanceof Expr.Binary b && b.op() == Op.IN && isAction(b.left()) && b.right() instanceof Expr.ListExpr list) {
                Set<String> out = new LinkedHashSet<>();
                for (Expr item : list.items()) {
                    if (!(item instanceof Expr.Literal lit && lit.value() instanceof String s)) return null;
                    out.add(s);
                }
                return out;
            }
            return null;
        }

        private static String actionEquals(Expr attr, Expr literal) {
            return isAction(attr) && literal instanceof Expr.Literal lit && lit.value() instanceof String s ? s : null;
        }

        private static boolean isAction(Expr e) {
            return e instanceof Expr.Attr a && a.attribute().kind() == Attribute.Kind.ACTION;
        }

        /** Drops the conjuncts that only test for {@code action}, which the dispatch has already done. */
        static Expr withoutActionTest(Expr e, String action) {
            if (e instanceof Expr.Binary b && b.op() == Op.AND) {
                Expr l = withoutActionTest(b.left(), action);
                Expr r = withoutActionTest(b.right(), action);
                if (isTrue(l)) return r;
                if (isTrue(r)) return l;
                return new Expr.Binary(Op.AND, l, r, b.pos());
            }
            Set<String> required = requiredActions(e);
            return required != null && required.contains(action) ? new Expr.Literal(Boolean.TRUE, e.pos()) : e;
        }

        private static boolean isTrue(Expr e) {
            return e instanceof Expr.Literal lit && Boolean.TRUE.equals(lit.value());
        }

        static int size(Expr e) {
            if (e instanceof Expr.Binary b) return 1 + size(b.left()) + size(b.right());
            if (e instanceof Expr.Unary u) return 1 + size(u.operand());
            if (e instanceof Expr.Matches m) return 1 + size(m.left());
            if (e instanceof Expr.Call c) return 1 + c.args().stream().mapToInt(Codegen::size).sum();
            if (e instanceof Expr.ListExpr l) return 1 + l.items().stream().mapToInt(Codegen::size).sum();
            return 1;
        }
    }
}
