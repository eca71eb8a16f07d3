package dev.magistrate.agent.internal;

import dev.magistrate.bootstrap.IntentContext;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * Carries the open governed call into asynchronous work ({@link IntentContext}): advice on the JDK's hand-off points
 * wraps the work handed over while a governed call is open. Reactor's schedulers and Spring's task executors hand work
 * to these same classes. The advice runs on every hand-off in the JVM; outside governed calls it costs a thread-local
 * read and wraps nothing.
 */
final class AsyncContext {

    private AsyncContext() {
    }

    /** The class, and its methods whose first argument is the work handed over (a Runnable, Callable or Supplier). */
    private static final Map<String, ElementMatcher<MethodDescription>> HAND_OFFS = Map.of(
            "java.util.concurrent.ThreadPoolExecutor", named("execute").and(takesArguments(Runnable.class)),
            "java.util.concurrent.AbstractExecutorService", named("submit"),
            "java.util.concurrent.ScheduledThreadPoolExecutor", namedOneOf("schedule", "scheduleAtFixedRate", "scheduleWithFixedDelay"),
            "java.util.concurrent.ForkJoinPool", namedOneOf("execute", "submit"),
            "java.util.concurrent.CompletableFuture", isStatic().and(namedOneOf("supplyAsync", "runAsync")));

    static void install(Instrumentation inst) {
        new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(new FailureListener())
                .ignore(none()) // the JDK's own classes are the point here
                // java.base must read the bootstrap loader's unnamed module, where IntentContext lives.
                .assureReadEdgeTo(inst, IntentContext.class)
                .type(namedOneOf(HAND_OFFS.keySet().toArray(String[]::new)))
                .transform((builder, type, loader, module, domain) -> {
                    ElementMatcher.Junction<MethodDescription> handOff = new ElementMatcher.Junction.AbstractBase<>() {
                        @Override
                        public boolean matches(MethodDescription m) {
                            return HAND_OFFS.get(type.getName()).matches(m);
                        }
                    };
                    return builder.visit(Advice.to(RunnableAdvice.class).on(handOff.and(takesArgument(0, Runnable.class))))
                            .visit(Advice.to(CallableAdvice.class).on(handOff.and(takesArgument(0, Callable.class))))
                            .visit(Advice.to(SupplierAdvice.class).on(handOff.and(takesArgument(0, Supplier.class))));
                })
                .installOn(inst);
    }

    // Inlined into the JDK's hand-off methods: they refer only to IntentContext, which the bootstrap loader serves.

    static final class RunnableAdvice {
        private RunnableAdvice() {
        }

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(value = 0, readOnly = false) Runnable work) {
            work = IntentContext.wrap(work);
        }
    }

    static final class CallableAdvice {
        private CallableAdvice() {
        }

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(value = 0, readOnly = false) Callable<?> work) {
            work = IntentContext.wrap(work);
        }
    }

    static final class SupplierAdvice {
        private SupplierAdvice() {
        }

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(value = 0, readOnly = false) Supplier<?> work) {
            work = IntentContext.wrap(work);
        }
    }

    private static final class FailureListener extends AgentBuilder.Listener.Adapter {
        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded, Throwable throwable) {
            AgentLog.log(AgentLog.Level.WARN, "could not instrument " + typeName + ": governed calls made from work it runs are not"
                    + " linked to the call that handed the work over", throwable);
        }
    }
}
