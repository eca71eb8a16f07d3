package dev.magistrate.spring;

import dev.magistrate.annotations.Arg;
import dev.magistrate.annotations.GovernedAction;
import dev.magistrate.engine.Compensation;
import dev.magistrate.engine.ToolMethod;
import dev.magistrate.intent.ActionNames;
import dev.magistrate.intent.ArgumentSnapshots;
import dev.magistrate.policy.Tier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationAttributes;
import org.springframework.util.ClassUtils;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Which bean methods are governed and what their calls' intents are made of, by the agent's rules
 * (README, "Governing an application"): a method is governed when it, or a method it overrides or
 * implements, carries {@code @GovernedAction}, Spring AI's {@code @Tool} (when Spring AI is on the
 * class path) or a type named in {@code magistrate.govern.annotations}. Its action is the
 * annotation's value, a framework annotation's {@code name}, else the method's name: the tool name
 * the model sees and a policy author writes.
 */
final class GovernedMethods {

    static final String SPRING_AI_TOOL = "org.springframework.ai.tool.annotation.Tool";
    private static final Log LOG = LogFactory.getLog(GovernedMethods.class);
    private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

    private final List<Class<? extends Annotation>> annotations;
    private final Set<String> fallbackActions;
    private final Set<String> deferActions;
    private final Map<Method, Optional<ToolMethod>> described = new ConcurrentHashMap<>();
    private final Set<Class<?>> warnedTypes = ConcurrentHashMap.newKeySet();

    GovernedMethods(List<Class<? extends Annotation>> annotations, Collection<String> fallbackActions, Collection<String> deferActions) {
        this.annotations = List.copyOf(annotations);
        this.fallbackActions = Set.copyOf(fallbackActions);
        this.deferActions = Set.copyOf(deferActions);
    }

    /** {@code @GovernedAction}, Spring AI's {@code @Tool} if present, and the configured types, which must exist. */
    @SuppressWarnings("unchecked")
    static GovernedMethods from(MagistrateProperties properties, ClassLoader loader) {
        List<Class<? extends Annotation>> types = new ArrayList<>();
        types.add(GovernedAction.class);
        if (ClassUtils.isPresent(SPRING_AI_TOOL, loader)) types.add((Class<? extends Annotation>) ClassUtils.resolveClassName(SPRING_AI_TOOL, loader));
        for (String name : properties.getGovern().getAnnotations()) {
            Class<?> type;
            try {
                type = ClassUtils.forName(name, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalArgumentException("magistrate.govern.annotations: no annotation type '" + name + "' on the class path");
            }
            if (!type.isAnnotation()) throw new IllegalArgumentException("magistrate.govern.annotations: '" + name + "' is not an annotation type");
            if (!types.contains(type)) types.add((Class<? extends Annotation>) type);
        }
        return new GovernedMethods(types, properties.getFallback().getActions(), properties.getDefer().getActions());
    }

    /** For the start-up line: {@code @GovernedAction, @Tool (org.springframework.ai.tool.annotation.Tool)}. */
    String describe() {
        return annotations.stream().map(a -> "@" + a.getSimpleName() + (a == GovernedAction.class ? "" : " (" + a.getName() + ")"))
                .collect(Collectors.joining(", "));
    }

    /** The governed method a call on {@code targetClass} runs, or null when it is not governed (static and private methods never are: no proxy sees them). */
    ToolMethod find(Method method, Class<?> targetClass) {
        Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
        if (Modifier.isStatic(specific.getModifiers()) || Modifier.isPrivate(specific.getModifiers())) return null;
        return described.computeIfAbsent(specific, this::lookUp).orElse(null);
    }

    private Optional<ToolMethod> lookUp(Method m) {
        for (Class<? extends Annotation> type : annotations) {
            AnnotationAttributes a = AnnotatedElementUtils.findMergedAnnotationAttributes(m, type, false, false);
            if (a != null) {
                ToolMethod g = governed(m, type == GovernedAction.class, a);
                LOG.info("governing " + g);
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    private ToolMethod governed(Method m, boolean ours, AnnotationAttributes a) {
        String named = a.get(ours ? "value" : "name") instanceof String s ? s : null;
        String action = ActionNames.normalize(named != null && !named.isBlank() ? named : m.getName());
        String where = m.getDeclaringClass().getName() + "#" + m.getName();
        String refusal = ActionNames.refusal(action);
        String[] names = parameterNames(m);
        for (int i = 0; i < names.length && refusal == null; i++) {
            String why = ArgumentSnapshots.unsupported(m.getParameterTypes()[i]);
            if (why != null) refusal = "its argument '" + names[i] + "' cannot be governed: " + why;
        }
        if (refusal != null) LOG.warn(where + ": " + refusal + ". Every call of it is denied.");
        String resource = null;
        int justification = -1, cost = -1;
        Tier minimumTier = null;
        Compensation rollback = null;
        if (ours) {
            String rollbackAction = blankToNull(a.getString("rollback"));
            if (rollbackAction != null) rollback = compensation(m, names, rollbackAction, where);
            resource = blankToNull(a.getString("resource"));
            justification = indexOf(names, a.getString("justification"), "justification", where);
            cost = indexOf(names, a.getString("cost"), "cost", where);
            GovernedAction.Tier t = a.getEnum("minimumTier");
            minimumTier = t == GovernedAction.Tier.UNSPECIFIED ? null : Tier.valueOf(t.name());
        }
        Class<?> returns = m.getReturnType();
        boolean text = returns == String.class || returns == CharSequence.class || returns == Object.class;
        boolean fallback = fallbackActions.contains(action) || fallbackActions.contains("*");
        if (fallback && !text && fallbackActions.contains(action)) {
            LOG.warn(action + " returns " + returns.getName() + ", not text: its denials throw instead of returning the denial message");
        }
        boolean deferred = deferActions.contains(action) || deferActions.contains("*");
        return new ToolMethod(action, resource, names, justification, cost, minimumTier, fallback && text, deferred, deferred && text, where, refusal,
                rollback);
    }

    /**
     * The compensating method {@code @GovernedAction(rollback = ...)} names: a {@code @GovernedAction} method of the same bean
     * class with that action, which the proxy governs (not private, static or final). Reported when the bean is proxied; if
     * triggered anyway, the trigger is audited and nothing runs.
     */
    private Compensation compensation(Method m, String[] names, String rollbackAction, String where) {
        String wanted = ActionNames.normalize(rollbackAction);
        List<Compensation.Candidate> candidates = new ArrayList<>();
        String unproxied = null;
        for (Method c : allMethods(m.getDeclaringClass())) {
            GovernedAction g = AnnotatedElementUtils.findMergedAnnotation(c, GovernedAction.class);
            if (g == null || !ActionNames.normalize(g.value().isBlank() ? c.getName() : g.value()).equals(wanted)) continue;
            if (Modifier.isPrivate(c.getModifiers()) || Modifier.isFinal(c.getModifiers())) {
                unproxied = c.getName() + " is " + (Modifier.isPrivate(c.getModifiers()) ? "private" : "final") + ", so the proxy cannot govern it";
                continue;
            }
            candidates.add(new Compensation.Candidate(c.getName(), Modifier.isStatic(c.getModifiers()), Arrays.asList(parameterNames(c)),
                    Arrays.stream(c.getParameterTypes()).map(Class::getName).toList()));
        }
        Compensation c = candidates.isEmpty() && unproxied != null ? new Compensation(wanted, null, List.of(), List.of(), unproxied)
                : Compensation.bind(wanted, where, Modifier.isStatic(m.getModifiers()), names,
                Arrays.stream(m.getParameterTypes()).map(Class::getName).toArray(String[]::new), m.getReturnType().getName(), candidates);
        if (c.problem() != null) {
            LOG.warn(where + ": @GovernedAction(rollback = \"" + rollbackAction + "\") cannot run: " + c.problem()
                    + ". If the policy triggers it, the trigger is audited and nothing runs.");
        }
        return c;
    }

    /** The methods a class declares and inherits, most specific first; an overridden method once. */
    private static List<Method> allMethods(Class<?> type) {
        List<Method> out = new ArrayList<>();
        for (Class<?> k = type; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Method d : k.getDeclaredMethods()) {
                if (d.isBridge() || d.isSynthetic()) continue;
                if (out.stream().noneMatch(o -> o.getName().equals(d.getName()) && Arrays.equals(o.getParameterTypes(), d.getParameterTypes()))) out.add(d);
            }
        }
        return out;
    }

    private String[] parameterNames(Method m) {
        String[] discovered = NAMES.getParameterNames(m);
        String[] names = new String[m.getParameterCount()];
        boolean guessed = false;
        for (int i = 0; i < names.length; i++) {
            Arg arg = m.getParameters()[i].getAnnotation(Arg.class);
            if (arg != null && !arg.value().isBlank()) names[i] = arg.value();
            else if (discovered != null) names[i] = discovered[i];
            else {
                names[i] = "arg" + i;
                guessed = true;
            }
        }
        if (guessed && warnedTypes.add(m.getDeclaringClass())) {
            LOG.warn(m.getDeclaringClass().getName() + " was compiled without -parameters: its governed methods' arguments are named arg0..n;"
                    + " compile with -parameters or mark parameters with @Arg(\"name\") so that policies can name them");
        }
        return names;
    }

    private static int indexOf(String[] names, String wanted, String what, String where) {
        if (wanted == null || wanted.isBlank()) return -1;
        int i = Arrays.asList(names).indexOf(wanted);
        if (i < 0) LOG.warn(where + ": @GovernedAction(" + what + " = \"" + wanted + "\") names no parameter of the method (it has " + Arrays.toString(names) + ")");
        return i;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
