package dev.magistrate.agent;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The agent's own class loader: the nested jars under {@code META-INF/magistrate/lib}, unpacked once into
 * the per-user {@link NestedJarCache}, with the platform loader as parent.
 * The application's loader never sees these classes, and the agent never sees the application's
 * Jackson or Byte Buddy. One exception, on purpose: the OpenTelemetry API ({@code io.opentelemetry.api},
 * {@code io.opentelemetry.context}) is the application's, from the system class loader, so that the engine's spans
 * and metrics reach the application's SDK, or the OpenTelemetry Java agent that serves that API; the agent bundles no
 * copy of it, and without one on the application's class path telemetry is off.
 */
final class AgentClassLoader extends URLClassLoader {

    static final String LIB = "META-INF/magistrate/lib/";
    static final String BOOT = "META-INF/magistrate/boot/";
    /** The file names of the agent's own nested jars (the agent's internals, the engine, the DSL...). */
    private static final String OWN_JARS = "magistrate-";

    static {
        ClassLoader.registerAsParallelCapable();
    }

    private AgentClassLoader(URL[] urls) {
        super("magistrate-agent", urls, ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith("io.opentelemetry.api.") || name.startsWith("io.opentelemetry.context.")) {
            return ClassLoader.getSystemClassLoader().loadClass(name); // ClassNotFoundException when the application has none
        }
        return super.loadClass(name, resolve);
    }

    /** The extracted jars: the agent's class loader, and the bootstrap jar that holds the bridge. */
    record Extracted(ClassLoader loader, File bootstrapJar) {
    }

    static Extracted create(File agentJar) throws IOException {
        return create(agentJar, NestedJarCache.root(System.getProperties(), System.getenv()));
    }

    /** {@code cacheRoot} null: unpack into a private temporary directory. */
    static Extracted create(File agentJar, Path cacheRoot) throws IOException {
        List<URL> urls = new ArrayList<>();
        File bootstrap = null;
        try (JarFile jar = new JarFile(agentJar)) {
            List<NestedJarCache.Nested> nested = NestedJarCache.nestedJars(jar, LIB, BOOT);
            Path dir = NestedJarCache.unpack(jar, nested, cacheRoot);
            List<URL> libraries = new ArrayList<>();
            for (NestedJarCache.Nested n : nested) {
                if (!n.entry().getName().startsWith(LIB)) bootstrap = NestedJarCache.file(dir, n);
                else (n.fileName().startsWith(OWN_JARS) ? urls : libraries).add(NestedJarCache.file(dir, n).toURI().toURL());
            }
            // A class is looked for in the jars in order, each opened (its whole directory read) when first searched: with
            // our own jars first, premain's first classes are found before any of the 35 libraries is opened.
            urls.addAll(libraries);
        }
        if (urls.isEmpty() || bootstrap == null) {
            throw new IOException(agentJar + " lacks " + LIB + "*.jar or " + BOOT + "*.jar: not a complete agent jar");
        }
        return new Extracted(new AgentClassLoader(urls.toArray(new URL[0])), bootstrap);
    }
}
