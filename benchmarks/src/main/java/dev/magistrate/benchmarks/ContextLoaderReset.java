package dev.magistrate.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A second, one-line java agent for the governed-call fork, started after Magistrate's: it gives
 * the main thread back the system class loader as its context class loader.
 *
 * <p>Why: Magistrate's agent (AgentInstaller.install, 0.1.0-SNAPSHOT) leaves its own isolated
 * class loader as the main thread's context class loader after premain. JMH's forked VM creates a
 * proxy through that loader and dies ("OutputFormat ... is not visible from class loader
 * 'magistrate-agent'"), as would any application that uses the context loader in main
 * (ServiceLoader, JNDI, many frameworks). This changes nothing on the governed path: the agent
 * sets and restores the context loader around every governed call itself. Reported as a bug;
 * remove this once the agent restores the loader.
 */
public final class ContextLoaderReset {

    private ContextLoaderReset() {
    }

    public static void premain(String args, Instrumentation inst) {
        Thread.currentThread().setContextClassLoader(ClassLoader.getSystemClassLoader());
    }

    /** Writes a jar holding only this class, with {@code Premain-Class} naming it; returns its path. */
    static Path writeAgentJar(Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), ContextLoaderReset.class.getName());
        String entry = ContextLoaderReset.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m);
             InputStream in = ContextLoaderReset.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) throw new IOException("cannot read " + entry);
            j.putNextEntry(new JarEntry(entry));
            in.transferTo(j);
            j.closeEntry();
        }
        return jar;
    }
}
