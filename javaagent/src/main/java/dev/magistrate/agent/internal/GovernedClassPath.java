package dev.magistrate.agent.internal;

import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.pool.TypePool;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A class path read the way the agent would see it: Byte Buddy's type pool over its directories and jars, so that no
 * class is loaded or initialised. {@code inventory} and {@code policy lint} read the application through this.
 */
final class GovernedClassPath {

    /** A class path entry that is neither a directory nor a file. */
    static final class NoSuchEntry extends Exception {
        NoSuchEntry(Path p) {
            super("no such file or directory " + p, null, false, false);
        }
    }

    private final TypePool pool;
    private final TreeSet<String> classNames;

    private GovernedClassPath(TypePool pool, TreeSet<String> classNames) {
        this.pool = pool;
        this.classNames = classNames;
    }

    /** Opens directories and jars separated by the platform's path separator (: on Linux). */
    static GovernedClassPath open(String classpath) throws IOException, NoSuchEntry {
        List<ClassFileLocator> locators = new ArrayList<>();
        TreeSet<String> classNames = new TreeSet<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.isBlank()) continue;
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                locators.add(new ClassFileLocator.ForFolder(p.toFile()));
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(f -> f.toString().endsWith(".class")).forEach(f -> classNames.add(className(p.relativize(f).toString())));
                }
            } else if (Files.isRegularFile(p)) {
                JarFile jar = new JarFile(p.toFile());
                locators.add(new ClassFileLocator.ForJarFile(jar));
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    if (n.endsWith(".class") && !n.startsWith("META-INF/")) classNames.add(className(n));
                }
            } else {
                throw new NoSuchEntry(p);
            }
        }
        locators.add(ClassFileLocator.ForClassLoader.ofPlatformLoader());
        // Last: the agent's own classes, for @GovernedAction and @Arg when the application's class path lacks the annotations jar.
        locators.add(ClassFileLocator.ForClassLoader.of(GovernedClassPath.class.getClassLoader()));
        return new GovernedClassPath(TypePool.Default.of(new ClassFileLocator.Compound(locators)), classNames);
    }

    /**
     * Visits every declared method (bridges left out) of every class, in class-name order; answers how many classes
     * could not be read fully (their supertypes are not on this class path: the agent would see them only at run time).
     */
    int forEachMethod(BiConsumer<TypeDescription, MethodDescription.InDefinedShape> visitor) {
        int unreadable = 0;
        for (String name : classNames) {
            if (name.endsWith("module-info") || name.endsWith("package-info")) continue;
            try {
                TypeDescription type = pool.describe(name).resolve();
                for (MethodDescription.InDefinedShape m : type.getDeclaredMethods()) {
                    if (m.isMethod() && !m.isBridge()) visitor.accept(type, m);
                }
            } catch (RuntimeException e) {
                unreadable++;
            }
        }
        return unreadable;
    }

    private static String className(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.').replace('\\', '.');
    }
}
