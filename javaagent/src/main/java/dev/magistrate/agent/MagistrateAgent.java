package dev.magistrate.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The agent's entry point, and the command line's ({@code java -jar magistrate-agent.jar ...}). Its
 * only job is to start things: put the bridge on the bootstrap class path, open the agent's own
 * class loader over the nested jars, and hand over to the installer inside it. It must never touch
 * Byte Buddy, the engine or any other dependency directly.
 */
public final class MagistrateAgent {

    private static final String INSTALLER = "dev.magistrate.agent.internal.AgentInstaller";
    private static final String INJECTOR = "dev.magistrate.agent.internal.BootstrapInjector";
    private static final String CLI = "dev.magistrate.agent.internal.InventoryCommand";

    private MagistrateAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, true);
    }

    public static void main(String[] args) throws Throwable {
        ClassLoader loader = AgentClassLoader.create(agentJar()).loader();
        Thread.currentThread().setContextClassLoader(loader);
        Method main = loader.loadClass(CLI).getMethod("run", String[].class);
        int status;
        try {
            status = (Integer) main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        System.exit(status);
    }

    private static void start(String args, Instrumentation inst, boolean attached) {
        long started = System.nanoTime();
        try {
            File jar = agentJar();
            AgentClassLoader.Extracted extracted = AgentClassLoader.create(jar);
            ClassLoader loader = extracted.loader();
            // The bridge must be in the bootstrap loader before any instrumented class resolves it.
            loader.loadClass(INJECTOR).getMethod("inject", Instrumentation.class, File.class).invoke(null, inst, extracted.bootstrapJar());
            Class<?> installer = loader.loadClass(INSTALLER);
            installer.getMethod("install", String.class, Instrumentation.class, File.class, boolean.class, long.class)
                    .invoke(null, args, inst, jar, attached, started);
        } catch (Throwable e) {
            // Nothing is instrumented yet (the installer instruments first, and reports every later failure as
            // denials): governed methods would run unchecked, so the agent refuses to start, and with it a JVM
            // started with -javaagent. An attach fails and leaves the application as it was.
            Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            System.err.println("[magistrate] FATAL the agent could not start, and governed methods would run unchecked: " + cause);
            throw new IllegalStateException("magistrate agent failed to start: " + cause, cause);
        }
    }

    static File agentJar() {
        try {
            return new File(MagistrateAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate magistrate-agent.jar", e);
        }
    }
}
