package dev.magistrate.agent.internal;

import dev.magistrate.approval.ApprovalBackend;
import dev.magistrate.approval.ApprovalBackends;
import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.audit.AuditLogOptions;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.Durability;
import dev.magistrate.bootstrap.MagistrateBridge;
import dev.magistrate.governor.Governor;
import dev.magistrate.keys.Ed25519Key;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.warrant.ConsumedWarrantLedger;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.declaresMethod;
import static net.bytebuddy.matcher.ElementMatchers.is;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotation;
import static net.bytebuddy.matcher.ElementMatchers.isBootstrapClassLoader;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.not;

/**
 * Runs inside the agent's class loader: reads the configuration, starts the engine (policy, keys,
 * audit trail, approvals), installs the dispatcher in the bridge and the Byte Buddy transformation.
 * Whatever fails, the application starts; a failure only means every governed call is denied.
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
            install(args, inst, attached, startedNanos, unpacked, agentLoader);
        } finally {
            thread.setContextClassLoader(applications);
        }
    }

    private static void install(String args, Instrumentation inst, boolean attached, long startedNanos, long unpacked,
                                ClassLoader agentLoader) {
        ModuleOpener.openForChronicle(inst, agentLoader.getUnnamedModule());
        MagistrateLog.routeTo((source, level, message, error) -> AgentLog.log(switch (level) {
            case ERROR -> AgentLog.Level.ERROR;
            case WARN -> AgentLog.Level.WARN;
            case INFO -> AgentLog.Level.INFO;
        }, message, error));

        GovernedMethods methods;
        AgentConfig config;
        try {
            config = AgentConfig.load(args, System.getenv(), System.getProperties(), Path.of("").toAbsolutePath());
            AgentLog.setLevel(config.get(AgentConfig.LOG_LEVEL));
            methods = new GovernedMethods(config.list(AgentConfig.GOVERN_ANNOTATIONS), config.list(AgentConfig.GOVERN_METHODS),
                    config.list(AgentConfig.FALLBACK_ACTIONS));
        } catch (RuntimeException e) {
            // Without a usable configuration we still intercept @GovernedAction, and deny every call.
            methods = new GovernedMethods(List.of(), List.of(), List.of());
            installTransformer(inst, methods, agentLoader);
            MagistrateBridge.install(new GovernanceDispatcher(methods, null, "configuration error: " + e.getMessage(), "unknown"));
            AgentLog.error("configuration error, every governed call will be denied: " + e.getMessage());
            return;
        }

        Engine engine = Engine.start(config);
        long engineStarted = System.nanoTime();
        MagistrateBridge.install(new GovernanceDispatcher(methods, engine.governor, engine.unavailable,
                config.get(AgentConfig.AGENT_ID, "agent")));
        installTransformer(inst, methods, agentLoader);
        long instrumented = System.nanoTime();
        if (engine.governor != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(engine::close, "magistrate-shutdown"));
        }
        AgentLog.info(version() + (attached ? " attached" : " started") + " in " + ms(startedNanos, instrumented) + " ms (unpack "
                + ms(startedNanos, unpacked) + ", engine " + ms(unpacked, engineStarted) + ", instrumentation " + ms(engineStarted, instrumented)
                + "); governing " + methods.describe() + "; " + engine.summary);
    }

    private static long ms(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    private static String version() {
        String v = AgentInstaller.class.getPackage().getImplementationVersion();
        return "magistrate " + (v != null ? v : "dev");
    }

    /** The running engine, or why there is none. */
    private static final class Engine {
        Governor governor;
        ChronicleAuditLog audit;
        ConsumedWarrantLedger ledger;
        String unavailable;
        String summary;

        static Engine start(AgentConfig config) {
            Engine e = new Engine();
            String policyPath = config.get(AgentConfig.POLICY);
            CompiledPolicy policy;
            String policyText;
            if (policyPath == null) {
                policy = failClosed("no policy is configured (set magistrate.policy)");
                policyText = "policy: NONE, every call denied (set magistrate.policy)";
                AgentLog.error("no policy is configured (set magistrate.policy): every governed call will be denied");
            } else {
                try {
                    PolicySet set = PolicyLoader.load(Path.of(policyPath));
                    policy = PolicyCompiler.compile(set);
                    policyText = "policy " + policyPath + " (" + set.rules().size() + " rules, sha256 " + set.version().substring(0, 12) + ")";
                } catch (PolicyException ex) {
                    String first = ex.errors().get(0).location() + ": " + ex.errors().get(0).message();
                    policy = failClosed("the policy could not be loaded: " + first);
                    policyText = "policy " + policyPath + " FAILED TO LOAD, every call denied";
                    AgentLog.error("policy " + policyPath + " could not be loaded; every governed call will be denied:\n" + ex.getMessage());
                }
            }
            String auditDir = config.get(AgentConfig.AUDIT_DIR, Path.of("magistrate-audit").toAbsolutePath().toString());
            String keysDir = config.get(AgentConfig.KEYS_DIR, Path.of("magistrate-keys").toAbsolutePath().toString());
            String backendName = config.get(AgentConfig.APPROVALS);
            try {
                Durability durability = durability(config.get(AgentConfig.AUDIT_DURABILITY));
                KeyDirectory keys = KeyDirectory.openOrCreate(Path.of(keysDir));
                Ed25519Key checkpointKey = (Ed25519Key) keys.signingKey(SignatureAlgorithm.ED25519);
                e.audit = ChronicleAuditLog.open(AuditLogOptions.defaults(Path.of(auditDir), "magistrate/audit", checkpointKey.checkpointSigner())
                        .withDurability(durability));
                ApprovalBackend backend = backendName == null ? new NoApprovalBackend()
                        : ApprovalBackends.create(backendName, backendSettings(backendName, config, keysDir), AgentInstaller.class.getClassLoader());
                String approversFile = config.get(AgentConfig.APPROVERS);
                ApproverDirectory approvers = approversFile == null ? ApproverDirectory.of(List.of()) : ApproverDirectory.load(Path.of(approversFile));
                // Consumed warrants are part of the durable record: kept beside the audit trail they protect.
                e.ledger = ConsumedWarrantLedger.open(Path.of(auditDir).resolve("consumed-warrants.log"), Clock.systemUTC(),
                        durability == Durability.SYNC_EACH_APPEND);
                e.governor = Governor.builder().policy(policy).approvalBackend(backend).approvers(approvers).keys(keys)
                        .ledger(e.ledger).audit(e.audit).build();
                String consoleUrl = backend.endpoint() != null ? " at " + backend.endpoint() : "";
                e.summary = policyText + "; approvals " + (backendName == null ? "NONE (calls that need approval are denied)" : backendName + consoleUrl)
                        + "; audit " + auditDir + " (" + durability.name().toLowerCase(java.util.Locale.ROOT) + ")" + "; keys " + keysDir;
            } catch (RuntimeException ex) {
                e.close();
                e.governor = null;
                e.unavailable = ex.getClass().getSimpleName() + ": " + ex.getMessage();
                e.summary = "ENGINE FAILED TO START, every call denied: " + e.unavailable;
                AgentLog.log(AgentLog.Level.ERROR, "the engine could not start; every governed call will be denied", ex);
            }
            return e;
        }

        void close() {
            try {
                if (governor != null) governor.close();
            } catch (RuntimeException ex) {
                AgentLog.log(AgentLog.Level.WARN, "governor did not close cleanly", ex);
            }
            try {
                if (ledger != null) ledger.close();
            } catch (RuntimeException ex) {
                AgentLog.log(AgentLog.Level.WARN, "consumed-warrant ledger did not close cleanly", ex);
            }
            try {
                if (audit != null) audit.close();
            } catch (RuntimeException ex) {
                AgentLog.log(AgentLog.Level.WARN, "audit log did not close cleanly", ex);
            }
        }
    }

    /** The console's settings; other backends take none yet. */
    private static Map<String, String> backendSettings(String backend, AgentConfig config, String keysDir) {
        if (!backend.equals("console")) return Map.of();
        return Map.of("port", config.get(AgentConfig.CONSOLE_PORT, "0"),
                "file", config.get(AgentConfig.CONSOLE_FILE, Path.of(keysDir).resolve("console.json").toString()));
    }

    private static Durability durability(String value) {
        if (value == null) return Durability.MAPPED;
        try {
            return Durability.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new AgentConfig.ConfigException(AgentConfig.AUDIT_DURABILITY + ": '" + value
                    + "' is not one of mapped (survives a process kill), sync_at_checkpoint, sync_each_append (survives power loss)");
        }
    }

    private static CompiledPolicy failClosed(String reason) {
        return new CompiledPolicy() {
            @Override
            public Decision decide(PolicyInput input) {
                return Decision.failClosed(reason, "none");
            }

            @Override
            public String version() {
                return "none";
            }
        };
    }

    private static void installTransformer(Instrumentation inst, GovernedMethods methods, ClassLoader agentLoader) {
        new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                // Annotations are optional at run time: an application started without the annotations jar would
                // otherwise hide @GovernedAction from us, and its tools would run ungoverned (fail open).
                .with(AgentBuilder.LocationStrategy.ForClassLoader.STRONG.withFallbackTo(ClassFileLocator.ForClassLoader.of(agentLoader)))
                .with(new FailureListener())
                .ignore(any(), isBootstrapClassLoader().or(is(agentLoader)))
                .or(nameStartsWith("net.bytebuddy.").or(nameStartsWith("dev.magistrate.agent.MagistrateAgent")).or(nameStartsWith("dev.magistrate.agent.AgentClassLoader")).or(nameStartsWith("dev.magistrate.bootstrap."))
                        .or(nameStartsWith("java.")).or(nameStartsWith("jdk.")).or(nameStartsWith("sun.")).or(nameStartsWith("com.sun."))
                        .or(isSynthetic()))
                .type(not(isInterface()).and(not(isAnnotation())).and(declaresMethod(methods.matcher())))
                .transform((builder, type, loader, module, domain) -> {
                    DynamicType.Builder<?> b = builder;
                    for (MethodDescription.InDefinedShape m : type.getDeclaredMethods().filter(methods.matcher())) {
                        GovernedMethod g = methods.register(type, m);
                        b = b.visit(Advice.withCustomMapping().bind(MethodId.class, g.id()).to(GovernedAdvice.class).on(is(m)));
                    }
                    return b;
                })
                .installOn(inst);
    }

    private static final class FailureListener extends AgentBuilder.Listener.Adapter {
        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded, Throwable throwable) {
            AgentLog.log(AgentLog.Level.WARN, "could not instrument " + typeName + ": its governed methods are not intercepted", throwable);
        }
    }
}
