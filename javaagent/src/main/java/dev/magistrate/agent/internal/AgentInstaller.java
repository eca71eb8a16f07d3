package dev.magistrate.agent.internal;

import dev.magistrate.bootstrap.MagistrateBridge;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.PolicyException;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.declaresMethod;
import static net.bytebuddy.matcher.ElementMatchers.is;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotation;
import static net.bytebuddy.matcher.ElementMatchers.isBootstrapClassLoader;
import static net.bytebuddy.matcher.ElementMatchers.isChildOf;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameContains;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.not;

/**
 * Runs inside the agent's class loader: reads the configuration, installs the Byte Buddy transformation and a
 * dispatcher in the bridge, and starts the engine with {@link Magistrate#open} on its own thread while the application
 * starts (the first governed call waits for it: {@link StartingDispatcher}). Whatever fails after the transformation
 * is installed, the application starts; a failure only means every governed call is denied.
 */
public final class AgentInstaller {

    private AgentInstaller() {
    }

    public static void install(String args, Instrumentation inst, File agentJar, boolean attached, long startedNanos) {
        long unpacked = System.nanoTime();
        // Before any Chronicle class loads: a governance product does not phone home.
        System.setProperty("chronicle.analytics.disable", "true");
        ClassLoader agentLoader = AgentInstaller.class.getClassLoader();
        // The engine starts (and its threads inherit) with the agent's loader as context loader; the
        // application's thread gets its own back, or its main would look up classes in the agent's loader.
        Thread thread = Thread.currentThread();
        ClassLoader applications = thread.getContextClassLoader();
        thread.setContextClassLoader(agentLoader);
        try {
            install(args, inst, agentJar, attached, startedNanos, unpacked, agentLoader);
        } finally {
            thread.setContextClassLoader(applications);
        }
    }

    private static void install(String args, Instrumentation inst, File agentJar, boolean attached, long startedNanos, long unpacked,
                                ClassLoader agentLoader) {
        ModuleOpener.openForChronicle(inst, agentLoader.getUnnamedModule());
        MagistrateLog.routeTo((source, level, message, error) -> AgentLog.log(switch (level) {
            case ERROR -> AgentLog.Level.ERROR;
            case WARN -> AgentLog.Level.WARN;
            case INFO -> AgentLog.Level.INFO;
        }, message, error));

        // Instrument first, whatever else fails: from here on a governed method never runs unchecked. Until
        // the dispatcher is installed below, the bridge denies every governed call.
        GovernedMethods methods;
        AgentConfig config = null;
        Started started = null;
        boolean asyncContext = true;
        long startTimeoutMillis = AgentConfig.DEFAULT_START_TIMEOUT_MILLIS;
        try {
            config = AgentConfig.load(args, System.getenv(), System.getProperties(), Path.of("").toAbsolutePath());
            AgentLog.setLevel(config.get(AgentConfig.LOG_LEVEL));
            methods = GovernedMethods.configured(config);
            asyncContext = config.onOff(AgentConfig.ASYNC_CONTEXT, true);
            startTimeoutMillis = config.startTimeoutMillis();
        } catch (Throwable e) {
            // Without a usable configuration we still intercept @GovernedAction, and deny every call.
            methods = new GovernedMethods(List.of(), List.of(), List.of());
            AgentLog.error("configuration error, every governed call will be denied: " + e.getMessage());
            started = new Started(null, "configuration error: " + e.getMessage(), "CONFIGURATION ERROR, every call denied: " + e.getMessage());
        }
        StartupLint lint = new StartupLint();
        GovernedMethods governed = methods;
        if (attached || applicationClassesLoaded(inst, agentLoader, agentJar)) {
            // Classes that could be governed are loaded already: only Byte Buddy's retransformation reaches them.
            transformation(governed, lint, agentLoader).installOn(inst); // throws: the agent, and with premain the JVM, does not start
        } else {
            // Byte Buddy loads with the first class that could be governed; an agent without it must still stop the JVM now.
            if (agentLoader.getResource("net/bytebuddy/agent/builder/AgentBuilder.class") == null) {
                throw new IllegalStateException("Byte Buddy is missing from the agent's class loader: nothing could be instrumented");
            }
            inst.addTransformer(new GovernedClassFilter(agentLoader, governed.annotationTypes(), governed::patternMatchesClass,
                    () -> transformation(governed, lint, agentLoader).makeRaw()), true);
        }
        long instrumented = System.nanoTime();
        String premainSplit = "unpack " + ms(startedNanos, unpacked) + ", instrumentation " + ms(unpacked, instrumented);
        // The engine (policy compile, keys, audit log) starts on its own thread while the application starts; the first
        // governed call waits for it. Until then, and if it fails, no governed call runs ungoverned.
        AgentConfig startConfig = config;
        Started early = started;
        boolean carryContext = asyncContext;
        StartGate gate = new StartGate();
        FutureTask<GovernanceDispatcher> start = new FutureTask<>(() -> {
            Started s = early != null ? early : start(startConfig, lint, gate);
            // Only a governed call has a context to carry, and none runs before this task has finished.
            if (carryContext) installAsyncContext(inst);
            long engineStarted = System.nanoTime();
            AgentLog.info(version() + (attached ? " attached" : " started") + " in " + ms(startedNanos, engineStarted) + " ms ("
                    + premainSplit + ", engine " + ms(instrumented, engineStarted) + "); governing " + governed.describe() + "; " + s.summary);
            return new GovernanceDispatcher(governed, s.magistrate, s.unavailable);
        });
        StartingDispatcher dispatcher = new StartingDispatcher(start, startTimeoutMillis, gate);
        if (!MagistrateBridge.install(dispatcher)) {
            AgentLog.error("the bridge already had a dispatcher (was it set by someone else?): every governed call is denied");
        }
        // Registered now, so that an application that ends while the engine writes still closes it once it has started. One
        // that ends before any governed call and before the engine's first write abandons the start instead (StartGate).
        long premainEnded = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (gate.abandon()) {
                // The start line the engine logs never comes then: this one says what the start took and why it stopped.
                AgentLog.info(version() + " premain in " + ms(startedNanos, premainEnded) + " ms (" + premainSplit
                        + "); the engine was abandoned at exit before its first write, no governed call having come");
                return;
            }
            try {
                GovernanceDispatcher d = dispatcher.await();
                if (d.magistrate() != null) d.magistrate().close();
            } catch (RuntimeException e) {
                AgentLog.log(AgentLog.Level.WARN, "the engine was not closed at exit", e);
            }
        }, "magistrate-shutdown"));
        if (early != null) {
            start.run(); // nothing to start: the dispatcher denies at once
        } else {
            Thread starter = new Thread(start, "magistrate-start");
            starter.setDaemon(true);
            starter.setContextClassLoader(agentLoader);
            starter.start();
        }
    }

    /**
     * Chronicle registers its JVM shutdown hook when it makes its first resource, and a JVM already shutting down refuses
     * new hooks: an application that ends while the audit log opens would leave it failed half way. Registered before the
     * first write; when the JVM is already shutting down, the start is abandoned (StartGate) or the open fails and says so.
     */
    private static void holdChronicleShutdownHook() {
        try {
            Class.forName("net.openhft.chronicle.core.io.BackgroundResourceReleaser", true, AgentInstaller.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            AgentLog.log(AgentLog.Level.DEBUG, "Chronicle's shutdown hook could not be registered before the first write", e);
        }
    }

    private static long ms(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    private static String version() {
        String v = AgentInstaller.class.getPackage().getImplementationVersion();
        return "magistrate " + (v != null ? v : "dev");
    }

    /** The running engine, or why there is none; either way a line for the start-up log. */
    private record Started(Magistrate magistrate, String unavailable, String summary) {
    }

    /**
     * A policy that is missing or does not load still gives an engine, one that denies every call and
     * audits each denial; anything else that stops the engine leaves none, and the dispatcher denies alone.
     */
    private static Started start(AgentConfig config, StartupLint lint, StartGate startGate) {
        BooleanSupplier gate = () -> {
            holdChronicleShutdownHook();
            return startGate.mayWrite();
        };
        MagistrateSettings settings;
        try {
            settings = config.settings();
        } catch (RuntimeException e) {
            AgentLog.error("configuration error, every governed call will be denied: " + e.getMessage());
            return new Started(null, "configuration error: " + e.getMessage(), "CONFIGURATION ERROR, every call denied: " + e.getMessage());
        }
        try {
            Magistrate m;
            if (settings.policy() == null) {
                AgentLog.error("no policy is configured (set magistrate.policy): every governed call will be denied");
                m = Magistrate.openDenyingAll(settings, "no policy is configured (set magistrate.policy)", gate);
            } else {
                try {
                    m = Magistrate.open(settings, gate);
                    lint.policyLoaded(settings.policy());
                } catch (PolicyException ex) {
                    String first = ex.errors().get(0).location() + ": " + ex.errors().get(0).message();
                    AgentLog.error("policy " + settings.policy() + " could not be loaded; every governed call will be denied:\n" + ex.getMessage());
                    m = Magistrate.openDenyingAll(settings, "the policy could not be loaded: " + first, gate);
                }
            }
            return new Started(m, null, m.describe());
        } catch (CancellationException abandoned) {
            throw abandoned; // the JVM is exiting: nothing was written, nothing to report
        } catch (Throwable ex) {
            String why = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            AgentLog.log(AgentLog.Level.ERROR, "the engine could not start; every governed call will be denied", ex);
            return new Started(null, why, "ENGINE FAILED TO START, every call denied: " + why);
        }
    }

    private static void installAsyncContext(Instrumentation inst) {
        try {
            AsyncContext.install(inst);
        } catch (RuntimeException | LinkageError e) {
            AgentLog.log(AgentLog.Level.WARN, "governed calls made from asynchronous work will not name the call that handed it over", e);
        }
    }

    /**
     * Whether the application (or another agent) has loaded classes already: always so for an attach, and for a premain
     * that runs after another agent's. The classes the agent jar loaded to start itself do not count.
     */
    private static boolean applicationClassesLoaded(Instrumentation inst, ClassLoader agentLoader, File agentJar) {
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        URL agentJarUrl;
        try {
            agentJarUrl = agentJar.toURI().toURL();
        } catch (MalformedURLException e) {
            return true;
        }
        for (Class<?> c : inst.getAllLoadedClasses()) {
            ClassLoader l = c.getClassLoader();
            if (l == null || l == platform || l == agentLoader || c.isArray()) continue;
            CodeSource source = c.getProtectionDomain().getCodeSource();
            if (source == null || !agentJarUrl.equals(source.getLocation())) return true;
        }
        return false;
    }

    /** The installer's transformation; installed on the spot, or made raw for {@link GovernedClassFilter} to hand classes to. */
    private static AgentBuilder transformation(GovernedMethods methods, StartupLint lint, ClassLoader agentLoader) {
        return new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                // Annotations are optional at run time: an application started without the annotations jar would
                // otherwise hide @GovernedAction from us, and its tools would run ungoverned (fail open).
                .with(AgentBuilder.LocationStrategy.ForClassLoader.STRONG.withFallbackTo(ClassFileLocator.ForClassLoader.of(agentLoader)))
                .with(new FailureListener())
                // Skip what really belongs to the JDK or to us, by defining loader, never by package name: an
                // application class in a package that happens to start with "sun." or "jdk." is governed too. Ours
                // include the loaders our loader is parent to (Janino's, for each compiled policy).
                .ignore(any(), isBootstrapClassLoader().or(is(ClassLoader.getPlatformClassLoader())).or(isChildOf(agentLoader)))
                .or(named("dev.magistrate.agent.MagistrateAgent").or(named("dev.magistrate.agent.AgentClassLoader"))
                        .or(nameStartsWith("dev.magistrate.agent.AgentClassLoader$")).or(isSynthetic())
                        // Spring's CGLIB proxies override a governed method only to hand the call to the bean, whose own method
                        // is governed: governing the override too made two intents per call, the outer one on the proxy's
                        // parameter names (arg0..n, so rules on argument names missed it).
                        .or(nameContains("$$SpringCGLIB$$")).or(nameContains("$$EnhancerBySpringCGLIB$$")))
                // Interfaces too: annotated default and static methods have bodies to govern.
                .type(not(isAnnotation()).and(declaresMethod(methods.matcher())))
                .transform((builder, type, loader, module, domain) -> {
                    DynamicType.Builder<?> b = builder;
                    for (MethodDescription.InDefinedShape m : type.getDeclaredMethods().filter(methods.matcher())) {
                        int id = methods.register(type, m);
                        lint.instrumented(methods.get(id).action(), () -> methods.codeView(type, m));
                        b = b.visit(Advice.withCustomMapping().bind(MethodId.class, id).to(GovernedAdvice.class).on(is(m)));
                    }
                    return b;
                });
    }

    private static final class FailureListener extends AgentBuilder.Listener.Adapter {
        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded, Throwable throwable) {
            AgentLog.log(AgentLog.Level.WARN, "could not instrument " + typeName + ": its governed methods are not intercepted", throwable);
        }
    }
}
