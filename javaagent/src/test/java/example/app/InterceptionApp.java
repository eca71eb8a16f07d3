package example.app;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs each named case and prints one line per case: {@code CASE name OK value} or
 * {@code CASE name DENIED exception-class: message}. The integration tests read these lines.
 */
public final class InterceptionApp {

    public static void main(String[] args) throws Exception {
        System.out.println("JVM-ARGS " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.println("CONTEXT-LOADER " + (Thread.currentThread().getContextClassLoader() == ClassLoader.getSystemClassLoader()
                ? "application" : String.valueOf(Thread.currentThread().getContextClassLoader())));
        Tools tools = new Tools();
        for (String c : args) {
            switch (c) {
                case "class" -> run(c, () -> tools.health("web"));
                case "minimum-tier" -> run(c, () -> tools.strictHealth("web"));
                case "interface" -> run(c, () -> new Tools.CloudScaler().scale("web", 25));
                case "interface-big" -> run(c, () -> new Tools.CloudScaler().scale("web", 200));
                case "superclass" -> run(c, () -> new Tools.Deployer().deploy("production"));
                case "static" -> run(c, () -> Tools.purge("eu"));
                case "reflection" -> run(c, () -> {
                    Method m = Tools.class.getMethod("health", String.class);
                    return m.invoke(tools, "reflected");
                });
                case "lambda" -> run(c, () -> {
                    Supplier<String> s = () -> tools.health("lambda");
                    return s.get();
                });
                case "method-ref" -> run(c, () -> {
                    Function<String, String> f = tools::health;
                    return f.apply("ref");
                });
                case "deny" -> run(c, () -> tools.query("compliance_log", "DROP TABLE compliance_log"));
                case "fallback" -> run(c, () -> tools.query("users", "DROP TABLE users"));
                case "typed-catch" -> run(c, () -> TypedCatch.dropTable(tools));
                case "allowed-query" -> run(c, () -> tools.query("users", "SELECT 1"));
                case "cost" -> run(c, () -> tools.refund("A-1", 5000.0, "enterprise customer"));
                case "cost-small" -> run(c, () -> tools.refund("A-2", 20.0, "goodwill"));
                case "arg-names" -> run(c, () -> tools.rename("old", "new"));
                case "nested" -> run(c, () -> tools.runbook("web"));
                case "throws" -> run(c, () -> tools.fails("disk full"));
                case "void" -> run(c, () -> {
                    tools.email("enterprise");
                    return "sent";
                });
                case "approval-timeout" -> {
                    long t0 = System.nanoTime();
                    run(c, () -> tools.needsApproval("budget"));
                    System.out.println("WAITED-MS " + (System.nanoTime() - t0) / 1_000_000);
                }
                case "interface-default" -> run(c, () -> new Tools.DefaultInventory().dropVia("users", "DROP TABLE users"));
                case "interface-static" -> run(c, () -> Tools.Inventory.dropStatic("users", "DROP TABLE users"));
                case "jdk-like-package" -> run(c, () -> new com.sun.acme.AcmeTools().query("users", "DROP TABLE users"));
                case "lookalike-action" -> run(c, () -> new LookalikeTools().lookalikeScale("web", 200));
                case "fullwidth-action" -> run(c, () -> new LookalikeTools().fullwidthScale("web", 200));
                case "mutable-after-grant" -> run(c, SnapshotTools::race);
                case "mutable-parameter-type" -> run(c, () -> new SnapshotTools().note(new StringBuilder("x")));
                case "concrete-list-parameter" -> run(c, () -> new SnapshotTools().terminateConcrete(new java.util.ArrayList<>(java.util.List.of("i-1"))));
                case "crash-in-body" -> run(c, () -> new CrashTools().checkAndDie("web"));
                case "swap-dispatcher" -> run(c, () -> BridgeTampering.tryToSwap(tools));
                case "approved" -> run(c, () -> tools.needsApproval("budget"));
                case "spring-proxy" -> run(c, () -> new Tools.CloudScaler$$SpringCGLIB$$0().scale("web", 200));
                case "framework" -> run(c, () -> new FrameworkTools().weather("Vienna"));
                case "framework-unnamed" -> run(c, () -> new FrameworkTools().terminate("i-1"));
                case "pattern" -> run(c, () -> new FrameworkTools().deleteBucket("logs"));
                case "pattern-miss" -> run(c, () -> new FrameworkTools().listBuckets());
                case "export-sensitive" -> run(c, () -> new ExportTools().export("payroll", true));
                case "export-plain" -> run(c, () -> new ExportTools().export("menu", false));
                case "isolation" -> isolation();
                case "wait-stdin" -> {
                    // Lets a test attach the agent to this running JVM before the next cases run.
                    System.out.println("READY " + ProcessHandle.current().pid());
                    System.out.flush();
                    new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
                }
                default -> System.out.println("CASE " + c + " UNKNOWN");
            }
        }
        System.out.flush();
    }

    interface Call {
        Object run() throws Exception;
    }

    static void run(String name, Call call) {
        try {
            System.out.println("CASE " + name + " OK " + call.run());
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable t = e.getCause();
            System.out.println("CASE " + name + " DENIED " + t.getClass().getName() + ": " + t.getMessage());
        } catch (Throwable t) {
            System.out.println("CASE " + name + " DENIED " + t.getClass().getName() + ": " + t.getMessage());
        }
    }

    /** The application's own Jackson and Byte Buddy work, and the agent's classes stay invisible. */
    static void isolation() {
        String[] agentClasses = {"dev.magistrate.agent.internal.AgentInstaller", "dev.magistrate.governor.Governor",
                "net.openhft.chronicle.queue.ChronicleQueue", "org.bouncycastle.crypto.signers.Ed25519Signer",
                "org.codehaus.janino.SimpleCompiler", "picocli.CommandLine"};
        for (String name : agentClasses) {
            try {
                Class.forName(name);
                System.out.println("VISIBLE " + name);
            } catch (ClassNotFoundException expected) {
                System.out.println("HIDDEN " + name);
            }
        }
        for (String name : new String[]{"com.fasterxml.jackson.databind.ObjectMapper", "net.bytebuddy.ByteBuddy"}) {
            try {
                Class<?> c = Class.forName(name);
                Package p = c.getPackage();
                String where = c.getProtectionDomain().getCodeSource().getLocation().getPath();
                System.out.println("APP-LIB " + name + " " + where.substring(where.lastIndexOf('/') + 1)
                        + " " + (p.getImplementationVersion() == null ? "" : p.getImplementationVersion()));
            } catch (ClassNotFoundException e) {
                System.out.println("APP-LIB " + name + " MISSING");
            }
        }
        // Use them: the application's Jackson serialises, its Byte Buddy builds a class.
        try {
            Object mapper = Class.forName("com.fasterxml.jackson.databind.ObjectMapper").getConstructor().newInstance();
            Object json = mapper.getClass().getMethod("writeValueAsString", Object.class).invoke(mapper, java.util.Map.of("k", 1));
            System.out.println("APP-JACKSON " + json);
            Object bb = Class.forName("net.bytebuddy.ByteBuddy").getConstructor().newInstance();
            Object sub = bb.getClass().getMethod("subclass", Class.class).invoke(bb, Object.class);
            Object made = sub.getClass().getMethod("make").invoke(sub);
            System.out.println("APP-BYTEBUDDY " + (made != null));
        } catch (Exception e) {
            System.out.println("APP-LIB-FAILED " + e);
        }
    }
}
