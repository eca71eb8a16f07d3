package dev.magistrate.agent.internal;

import dev.magistrate.engine.Compensation;
import dev.magistrate.engine.ToolMethod;
import dev.magistrate.intent.ActionNames;
import dev.magistrate.policy.Tier;
import dev.magistrate.policy.GovernedCode;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.annotation.AnnotationValue;
import net.bytebuddy.description.enumeration.EnumerationDescription;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.method.ParameterDescription;
import net.bytebuddy.description.type.TypeDefinition;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.matcher.ElementMatchers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.not;

/**
 * Which methods are governed, and the registry of those instrumented so far. A method is governed
 * when it, or a method it overrides or implements, carries {@code @GovernedAction} or one of the
 * configured annotation types, or when its class and name match a configured pattern
 * ({@code com.acme.tools.*#delete*}).
 */
final class GovernedMethods {

    static final String GOVERNED_ACTION = "dev.magistrate.annotations.GovernedAction";
    static final String ARG = "dev.magistrate.annotations.Arg";

    private final Set<String> annotations;
    /** Tool annotations that must be governed ({@code magistrate.require}): a method carrying one that is not governed is refused. */
    private final Set<String> required;
    private final List<Pattern[]> patterns = new ArrayList<>();
    private final Set<String> fallbackActions;
    /** Actions that approve later: a call that needs people returns at once as pending ({@code magistrate.defer.actions}). */
    private final Set<String> deferActions;
    private volatile ElementMatcher.Junction<MethodDescription> matcher;
    private final Set<String> warnedTypes = ConcurrentHashMap.newKeySet();
    private volatile ToolMethod[] byId = new ToolMethod[64];
    private int count;

    GovernedMethods(List<String> extraAnnotations, List<String> methodPatterns, List<String> fallbackActions) {
        this(extraAnnotations, methodPatterns, fallbackActions, List.of(), List.of());
    }

    /** What the configuration selects: {@code govern.*}, {@code fallback.actions}, {@code require} and {@code defer.actions}. */
    static GovernedMethods configured(AgentConfig c) {
        return new GovernedMethods(c.list(AgentConfig.GOVERN_ANNOTATIONS), c.list(AgentConfig.GOVERN_METHODS), c.list(AgentConfig.FALLBACK_ACTIONS),
                c.list(AgentConfig.REQUIRE), c.list(AgentConfig.DEFER_ACTIONS));
    }

    GovernedMethods(List<String> extraAnnotations, List<String> methodPatterns, List<String> fallbackActions, List<String> requiredTools,
                    List<String> deferActions) {
        List<String> names = new ArrayList<>();
        names.add(GOVERNED_ACTION);
        names.addAll(extraAnnotations);
        this.annotations = Set.copyOf(names);
        this.required = Set.copyOf(requiredTools);
        for (String p : methodPatterns) {
            int hash = p.indexOf('#');
            if (hash <= 0 || hash == p.length() - 1) {
                throw new AgentConfig.ConfigException(AgentConfig.GOVERN_METHODS + ": '" + p + "' is not CLASS#METHOD (globs allowed: com.acme.*#delete*)");
            }
            patterns.add(new Pattern[]{glob(p.substring(0, hash)), glob(p.substring(hash + 1))});
        }
        this.fallbackActions = Set.copyOf(fallbackActions);
        this.deferActions = Set.copyOf(deferActions);
    }

    /** Made when first asked, by Byte Buddy's transformation: a JVM with no class that could be governed never loads Byte Buddy. */
    ElementMatcher.Junction<MethodDescription> matcher() {
        ElementMatcher.Junction<MethodDescription> made = matcher;
        if (made == null) {
            ElementMatcher.Junction<MethodDescription> annotated = new ElementMatcher.Junction.AbstractBase<>() {
                @Override
                public boolean matches(MethodDescription m) {
                    return governingAnnotation(m.getDeclaringType().asErasure(), m) != null
                            || (!required.isEmpty() && annotation(m.getDeclaringType().asErasure(), m, required) != null);
                }
            };
            ElementMatcher.Junction<MethodDescription> byPattern = new ElementMatcher.Junction.AbstractBase<>() {
                @Override
                public boolean matches(MethodDescription m) {
                    return matchesPattern(m.getDeclaringType().asErasure().getName(), m.getName());
                }
            };
            matcher = made = isMethod().and(not(isAbstract())).and(not(isBridge())).and(not(isNative())).and(annotated.or(byPattern));
        }
        return made;
    }

    /** Every annotation type that makes a method governed or refused ({@code magistrate.require}): what {@link GovernedClassFilter} looks for. */
    Set<String> annotationTypes() {
        Set<String> all = new TreeSet<>(annotations);
        all.addAll(required);
        return all;
    }

    /** Whether a configured {@code CLASS#METHOD} pattern's class part matches {@code className}. */
    boolean patternMatchesClass(String className) {
        for (Pattern[] p : patterns) {
            if (p[0].matcher(className).matches()) return true;
        }
        return false;
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        List<String> sorted = new ArrayList<>(annotations);
        sorted.sort(null);
        for (String a : sorted) sb.append(sb.length() == 0 ? "" : ", ").append('@').append(a.substring(a.lastIndexOf('.') + 1))
                .append(a.equals(GOVERNED_ACTION) ? "" : " (" + a + ")");
        for (Pattern[] p : patterns) sb.append(", ").append(p[0].pattern()).append('#').append(p[1].pattern());
        if (!required.isEmpty()) sb.append("; refusing ungoverned ").append(String.join(", ", new TreeSet<>(required)));
        return sb.toString();
    }

    private boolean matchesPattern(String className, String methodName) {
        for (Pattern[] p : patterns) {
            if (p[0].matcher(className).matches() && p[1].matcher(methodName).matches()) return true;
        }
        return false;
    }

    ToolMethod get(int id) {
        ToolMethod[] a = byId;
        return id >= 0 && id < a.length ? a[id] : null;
    }

    /** Works out a method's action, argument names and markers, and gives it an id: what its advice passes to the bridge. */
    synchronized int register(TypeDescription type, MethodDescription method) {
        AnnotationDescription governing = governingAnnotation(type, method);
        // Matched only because magistrate.require names its tool annotation: nothing governs it, so every call is refused.
        AnnotationDescription ungoverned = governing == null ? requiredButUngoverned(type, method) : null;
        String action = actionName(type, method, governing != null ? governing : ungoverned);
        String resource = null, justification = null, cost = null, minimumTier = null, rollback = null;
        if (governing != null) {
            boolean ours = governing.getAnnotationType().getName().equals(GOVERNED_ACTION);
            if (ours) {
                resource = blankToNull(string(governing, "resource"));
                justification = blankToNull(string(governing, "justification"));
                cost = blankToNull(string(governing, "cost"));
                rollback = blankToNull(string(governing, "rollback"));
                AnnotationValue<?, ?> tier = governing.getValue("minimumTier");
                String t = tier.resolve(EnumerationDescription.class).getValue();
                minimumTier = t.equals("UNSPECIFIED") ? null : t;
            }
        }
        String normalized = ActionNames.normalize(action);
        String refusal = ActionNames.refusal(normalized);
        if (refusal != null) {
            AgentLog.warn(type.getName() + "#" + method.getName() + ": " + refusal + ". Every call of it is denied.");
        } else if (!normalized.equals(action)) {
            AgentLog.warn(type.getName() + "#" + method.getName() + ": action '" + action + "' is governed as '" + normalized + "' (NFKC)");
        }
        action = normalized;
        if (ungoverned != null) {
            String tool = ungoverned.getAnnotationType().getName();
            refusal = "it is a tool (@" + tool.substring(tool.lastIndexOf('.') + 1) + ") that magistrate.require says must be governed,"
                    + " and the configuration does not govern it (add " + tool + " to magistrate.govern.annotations)";
            AgentLog.warn(type.getName() + "#" + method.getName() + ": " + refusal + ". Every call of it is denied.");
        }
        String[] names = parameterNames(type, method);
        for (int i = 0; i < names.length && refusal == null; i++) {
            String why = DeclaredTypes.unsupported(method.getParameters().get(i).getType());
            if (why != null) {
                refusal = "its argument '" + names[i] + "' cannot be governed: " + why;
                AgentLog.warn(type.getName() + "#" + method.getName() + ": " + refusal + ". Every call of it is denied.");
            }
        }
        int justificationIndex = indexOf(names, justification, "justification", action);
        int costIndex = indexOf(names, cost, "cost", action);
        boolean wantsFallback = fallbackActions.contains(action) || fallbackActions.contains("*");
        TypeDescription returns = method.getReturnType().asErasure();
        boolean canReturnText = returns.represents(String.class) || returns.represents(CharSequence.class) || returns.represents(Object.class);
        if (wantsFallback && !canReturnText && fallbackActions.contains(action)) {
            AgentLog.warn(action + " returns " + returns.getName() + ", not text: its denials throw instead of returning the denial message");
        }
        boolean deferred = deferActions.contains(action) || deferActions.contains("*");
        Compensation compensation = rollback == null ? null : compensation(type, method, names, rollback);
        ToolMethod g = new ToolMethod(action, resource, names, justificationIndex, costIndex, minimumTier == null ? null : Tier.valueOf(minimumTier),
                wantsFallback && canReturnText, deferred, deferred && canReturnText, type.getName() + "#" + method.getName(), refusal, compensation);
        if (count == byId.length) byId = Arrays.copyOf(byId, count * 2);
        ToolMethod[] a = byId;
        int id = count++;
        a[id] = g;
        byId = a; // publish
        AgentLog.info("governing " + g);
        return id;
    }

    /**
     * The compensating method {@code @GovernedAction(rollback = ...)} names: a governed method of the same class (or one it
     * inherits) with that action. A rollback that cannot be bound is reported now; if triggered anyway, it is audited and
     * nothing runs.
     */
    private Compensation compensation(TypeDescription type, MethodDescription method, String[] names, String rollback) {
        String wanted = ActionNames.normalize(rollback);
        List<Compensation.Candidate> candidates = new ArrayList<>();
        for (TypeDefinition t = type; t != null && !t.represents(Object.class); t = t.getSuperClass()) {
            for (MethodDescription m : t.getDeclaredMethods()) {
                if (!m.isMethod() || m.isAbstract() || m.isBridge() || governingAnnotation(type, m) == null) continue;
                if (!ActionNames.normalize(actionName(type, m)).equals(wanted)) continue;
                if (candidates.stream().anyMatch(c -> c.method().equals(m.getName()) && c.parameterTypes().equals(typeNames(m)))) continue; // overridden
                candidates.add(new Compensation.Candidate(m.getName(), m.isStatic(), Arrays.asList(parameterNames(type, m)), typeNames(m)));
            }
        }
        Compensation c = Compensation.bind(wanted, type.getName() + "#" + method.getName(), method.isStatic(), names,
                typeNames(method).toArray(new String[0]), method.getReturnType().asErasure().getName(), candidates);
        if (c.problem() != null) {
            AgentLog.warn(type.getName() + "#" + method.getName() + ": @GovernedAction(rollback = \"" + rollback + "\") cannot run: " + c.problem()
                    + ". If the policy triggers it, the trigger is audited and nothing runs.");
        }
        return c;
    }

    private static List<String> typeNames(MethodDescription m) {
        List<String> out = new ArrayList<>();
        for (ParameterDescription p : m.getParameters()) out.add(p.getType().asErasure().getName());
        return out;
    }

    /** The tool annotation that {@code magistrate.require} names on a method nothing else governs, or null. */
    AnnotationDescription requiredButUngoverned(TypeDescription type, MethodDescription method) {
        if (required.isEmpty() || governingAnnotation(type, method) != null || matchesPattern(type.getName(), method.getName())) return null;
        return annotation(type, method, required);
    }

    /** What a policy sees of a governed method, for {@link dev.magistrate.policy.PolicyLint}: its parameters' names and Java types. */
    GovernedCode.Method codeView(TypeDescription type, MethodDescription method) {
        String[] names = parameterNames(type, method);
        List<GovernedCode.Parameter> params = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            TypeDescription t = method.getParameters().get(i).getType().asErasure();
            GovernedCode.ValueKind kind;
            try {
                kind = t.isEnum() ? GovernedCode.ValueKind.ENUM : GovernedCode.kindOf(t.getName());
            } catch (RuntimeException unresolvable) {
                kind = GovernedCode.ValueKind.OTHER;
            }
            params.add(new GovernedCode.Parameter(names[i], t.getName(), kind));
        }
        return new GovernedCode.Method(type.getName() + "#" + method.getName(), params);
    }

    /** The action a governed method's calls are decided as, before NFKC normalisation (see {@link #register}). */
    String actionName(TypeDescription type, MethodDescription method) {
        return actionName(type, method, governingAnnotation(type, method));
    }

    /**
     * A tool's action is the name the model sees and a policy author writes: the annotation's name, else the method's.
     * Only methods matched by a pattern, which carry no name, are Class#method.
     */
    private static String actionName(TypeDescription type, MethodDescription method, AnnotationDescription governing) {
        if (governing == null) return (type.getSimpleName().isEmpty() ? type.getName() : type.getSimpleName()) + "#" + method.getName();
        boolean ours = governing.getAnnotationType().getName().equals(GOVERNED_ACTION);
        String named = ours ? string(governing, "value") : string(governing, "name");
        return named != null && !named.isBlank() ? named : method.getName();
    }

    /** The governing annotation on the method itself, else on the nearest method it overrides or implements. */
    private AnnotationDescription governingAnnotation(TypeDescription type, MethodDescription method) {
        return annotation(type, method, annotations);
    }

    /** One of {@code types} on the method itself, else on the nearest method it overrides or implements. */
    private static AnnotationDescription annotation(TypeDescription type, MethodDescription method, Set<String> types) {
        AnnotationDescription own = find(method, types);
        if (own != null) return own;
        MethodDescription.SignatureToken sig = method.asSignatureToken();
        List<TypeDefinition> todo = new ArrayList<>();
        if (type.getSuperClass() != null) todo.add(type.getSuperClass());
        todo.addAll(type.getInterfaces());
        while (!todo.isEmpty()) {
            TypeDefinition t = todo.remove(0);
            for (MethodDescription m : t.getDeclaredMethods()) {
                if (m.asSignatureToken().equals(sig) || (m.getName().equals(method.getName())
                        && m.getParameters().size() == method.getParameters().size())) {
                    AnnotationDescription a = find(m, types);
                    if (a != null) return a;
                }
            }
            if (t.getSuperClass() != null) todo.add(t.getSuperClass());
            todo.addAll(t.getInterfaces());
        }
        return null;
    }

    private static AnnotationDescription find(MethodDescription m, Set<String> types) {
        for (AnnotationDescription a : m.getDeclaredAnnotations()) {
            if (types.contains(a.getAnnotationType().getName())) return a;
        }
        return null;
    }

    private String[] parameterNames(TypeDescription type, MethodDescription method) {
        List<ParameterDescription> params = new ArrayList<>();
        method.getParameters().forEach(params::add);
        String[] names = new String[params.size()];
        boolean guessed = false;
        for (int i = 0; i < names.length; i++) {
            ParameterDescription p = params.get(i);
            String arg = null;
            for (AnnotationDescription a : p.getDeclaredAnnotations()) {
                if (a.getAnnotationType().getName().equals(ARG)) arg = string(a, "value");
            }
            if (arg != null && !arg.isBlank()) {
                names[i] = arg;
            } else if (p.isNamed()) {
                names[i] = p.getName();
            } else {
                names[i] = "arg" + i;
                guessed = true;
            }
        }
        if (guessed && warnedTypes.add(type.getName())) {
            AgentLog.warn(type.getName() + " was compiled without -parameters: its governed methods' arguments are named arg0..n;"
                    + " compile with -parameters or mark parameters with @Arg(\"name\") so that policies can name them");
        }
        return names;
    }

    private static int indexOf(String[] names, String wanted, String what, String action) {
        if (wanted == null) return -1;
        for (int i = 0; i < names.length; i++) if (names[i].equals(wanted)) return i;
        AgentLog.warn(action + ": @GovernedAction(" + what + " = \"" + wanted + "\") names no parameter of the method (it has "
                + Arrays.toString(names) + ")");
        return -1;
    }

    private static String string(AnnotationDescription a, String attribute) {
        try {
            return a.getAnnotationType().getDeclaredMethods().filter(ElementMatchers.named(attribute)).isEmpty()
                    ? null : a.getValue(attribute).resolve(String.class);
        } catch (RuntimeException e) {
            return null; // an attribute of another type (LangChain4j's value is a String[] description)
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') re.append(".*");
            else if (c == '?') re.append('.');
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }
}
