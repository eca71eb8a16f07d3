package dev.magistrate.agent.internal;

import java.lang.instrument.Instrumentation;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Opens the JDK internals that Chronicle Queue needs to the agent's own class loader, and to nothing
 * else, so that users never type {@code --add-opens}. The same list the tests pass on the command line.
 */
final class ModuleOpener {

    private ModuleOpener() {
    }

    static void openForChronicle(Instrumentation inst, Module agent) {
        Set<Module> to = Set.of(agent);
        open(inst, "java.base", new String[]{"jdk.internal.ref", "sun.nio.ch", "jdk.internal.misc"},
                new String[]{"java.lang", "java.lang.reflect", "java.io", "java.util", "java.nio", "sun.nio.ch", "jdk.internal.ref"}, to);
        open(inst, "jdk.unsupported", new String[]{"sun.misc"}, new String[]{"sun.misc"}, to);
        open(inst, "jdk.compiler", new String[]{"com.sun.tools.javac.file", "com.sun.tools.javac"}, new String[0], to);
    }

    private static void open(Instrumentation inst, String moduleName, String[] exports, String[] opens, Set<Module> to) {
        // jdk.compiler is absent from a JRE; Chronicle then only loses its runtime compiler, which we do not use.
        ModuleLayer.boot().findModule(moduleName).ifPresent(m -> {
            Map<String, Set<Module>> ex = new HashMap<>();
            for (String p : exports) if (m.getPackages().contains(p)) ex.put(p, to);
            Map<String, Set<Module>> op = new HashMap<>();
            for (String p : opens) if (m.getPackages().contains(p)) op.put(p, to);
            inst.redefineModule(m, Set.of(), ex, op, Set.of(), Map.of());
        });
    }
}
