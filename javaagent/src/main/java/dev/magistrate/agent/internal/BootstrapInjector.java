package dev.magistrate.agent.internal;

import net.bytebuddy.dynamic.loading.ClassInjector;

import java.io.File;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Puts the classes of the bootstrap jar into the bootstrap class loader: the bridge, and
 * {@code dev.magistrate.annotations.CallDeniedException}, so that the denial the bridge throws is the
 * class applications catch, in every loader. Defining them directly keeps the JVM's
 * class-data sharing intact; appending a jar to the bootstrap search path (the fallback) makes the
 * JVM disable sharing for application classes and print a warning about it.
 */
public final class BootstrapInjector {

    private BootstrapInjector() {
    }

    public static void inject(Instrumentation inst, File bootstrapJar) throws IOException {
        Map<String, byte[]> classes = new HashMap<>();
        try (JarFile jar = new JarFile(bootstrapJar)) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (!e.getName().endsWith(".class")) continue;
                String name = e.getName().substring(0, e.getName().length() - ".class".length()).replace('/', '.');
                classes.put(name, jar.getInputStream(e).readAllBytes());
            }
        }
        try {
            ClassInjector injector = ClassInjector.UsingUnsafe.Factory.resolve(inst).make(null, null);
            // A class can only be defined once its supertypes are: define in passes until all are in.
            Map<String, byte[]> pending = new HashMap<>(classes);
            while (!pending.isEmpty()) {
                int before = pending.size();
                RuntimeException last = null;
                for (String name : new ArrayList<>(pending.keySet())) {
                    try {
                        injector.injectRaw(Map.of(name, pending.get(name)));
                        pending.remove(name);
                    } catch (RuntimeException e) {
                        last = e;
                    }
                }
                if (pending.size() == before) throw last;
            }
        } catch (RuntimeException | LinkageError e) {
            AgentLog.log(AgentLog.Level.DEBUG, "direct bootstrap injection unavailable; appending the bridge jar to the bootstrap path", e);
            inst.appendToBootstrapClassLoaderSearch(new JarFile(bootstrapJar));
        }
    }
}
