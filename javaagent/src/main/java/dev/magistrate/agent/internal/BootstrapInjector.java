package dev.magistrate.agent.internal;

import java.io.File;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Puts the classes of the bootstrap jar into the bootstrap class loader: the bridge, and
 * {@code dev.magistrate.annotations.CallDeniedException}, so that the denial the bridge throws is the
 * class applications catch, in every loader. Defining them directly keeps the JVM's
 * class-data sharing intact; appending a jar to the bootstrap search path (the fallback) makes the
 * JVM disable sharing for application classes and print a warning about it.
 *
 * <p>Defined with the JDK's internal {@code Unsafe.defineClass}, exported to this loader alone through the
 * {@link Instrumentation}: what Byte Buddy's {@code ClassInjector.UsingUnsafe} does, without loading Byte Buddy
 * (about 900 classes, most of the agent's start-up before it).
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
            Module base = Object.class.getModule();
            inst.redefineModule(base, Set.of(), Map.of("jdk.internal.misc", Set.of(BootstrapInjector.class.getModule())), Map.of(), Set.of(), Map.of());
            Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
            Object unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
            Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class, ClassLoader.class, ProtectionDomain.class);
            // A class can only be defined once its supertypes are: define in passes until all are in.
            Map<String, byte[]> pending = new HashMap<>(classes);
            while (!pending.isEmpty()) {
                int before = pending.size();
                Throwable last = null;
                for (String name : new ArrayList<>(pending.keySet())) {
                    byte[] bytes = pending.get(name);
                    try {
                        define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
                        pending.remove(name);
                    } catch (InvocationTargetException e) {
                        last = e.getCause();
                    }
                }
                if (pending.size() == before) throw new IllegalStateException("cannot define " + pending.keySet(), last);
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            AgentLog.log(AgentLog.Level.DEBUG, "direct bootstrap injection unavailable; appending the bridge jar to the bootstrap path", e);
            inst.appendToBootstrapClassLoaderSearch(new JarFile(bootstrapJar));
        }
    }
}
