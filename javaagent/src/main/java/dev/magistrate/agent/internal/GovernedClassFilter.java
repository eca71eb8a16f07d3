package dev.magistrate.agent.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The transformer {@code premain} registers in place of Byte Buddy's: it reads each class's bytes for what could make
 * one of its methods governed and hands only those classes to Byte Buddy, which is loaded when the first one arrives
 * (about 1,000 classes, most of the agent's own start-up; an application with no governed class never loads it).
 *
 * <p>It never misses a class the installer's matchers would govern, which are: a declared method carrying a governing
 * or required annotation (its descriptor is then in the constant pool), a method overriding or implementing an annotated
 * one (the class then has a supertype other than {@code Object}, and other than a {@code java.} class unless a governing
 * annotation is a JDK type), and a configured {@code CLASS#METHOD} pattern (matched on the class name here). Classes of
 * the bootstrap and platform loaders, of the agent's loader and of the loaders it is parent to (Janino's, which defines
 * each compiled policy) are skipped, as the installer ignores them, and so are the JDK's generated reflection accessors;
 * bytes it cannot read go to Byte Buddy.
 */
final class GovernedClassFilter implements ClassFileTransformer {

    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();
    private static final byte[] OBJECT = utf8("java/lang/Object"), JAVA = utf8("java/");

    private final ClassLoader agentLoader;
    private final byte[][] annotationDescriptors;
    /** Whether a governing annotation is a JDK type ({@code java.}, {@code jdk.}, {@code sun.}), which the JDK's own methods could carry. */
    private final boolean jdkAnnotations;
    private final Predicate<String> classNamePatterns;
    private final Supplier<ClassFileTransformer> byteBuddy;
    private final AtomicReference<ClassFileTransformer> transformer = new AtomicReference<>();

    /**
     * {@code annotationTypes}: binary names of every governing and required annotation; {@code classNamePatterns}: whether a
     * class name (dotted) matches a configured pattern's class part; {@code byteBuddy}: makes the installer's transformer.
     */
    GovernedClassFilter(ClassLoader agentLoader, Collection<String> annotationTypes, Predicate<String> classNamePatterns,
                        Supplier<ClassFileTransformer> byteBuddy) {
        this.agentLoader = agentLoader;
        this.annotationDescriptors = annotationTypes.stream().map(t -> utf8("L" + t.replace('.', '/') + ";")).toArray(byte[][]::new);
        this.jdkAnnotations = annotationTypes.stream().anyMatch(t -> t.startsWith("java.") || t.startsWith("jdk.") || t.startsWith("sun."));
        this.classNamePatterns = classNamePatterns;
        this.byteBuddy = byteBuddy;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain, byte[] bytes)
            throws IllegalClassFormatException {
        if (loader == null || loader == PLATFORM || className == null || bytes == null || ours(loader)) return null;
        if (!couldBeGoverned(loader, className, bytes)) return null;
        ClassFileTransformer t = transformer.get();
        try {
            // No lock while Byte Buddy loads: a thread that holds a jar's lock can define a class too (reflection's
            // accessors while a signed jar is verified), and two threads waiting for each other would hang the JVM. Two
            // threads may each make one; the first is kept.
            if (t == null) {
                transformer.compareAndSet(null, byteBuddy.get());
                t = transformer.get();
            }
        } catch (RuntimeException | LinkageError e) {
            // The JVM ignores a transformer's exception and would load the class as it is, its governed methods unchecked:
            // bytes it cannot define make the class fail to load instead (fail closed).
            AgentLog.log(AgentLog.Level.ERROR, "Byte Buddy could not be loaded: " + className.replace('/', '.')
                    + " could be governed, so it is refused (ClassFormatError)", e);
            return new byte[0];
        }
        return t.transform(module, loader, className, redefined, domain, bytes);
    }

    /** The agent's loader or one it is parent to: a compiled policy must not make the engine's thread build Byte Buddy. */
    private boolean ours(ClassLoader loader) {
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l == agentLoader) return true;
        }
        return false;
    }

    /**
     * The JDK's own loader for the accessors its reflection generates (JDK 17): their supertypes are the JDK's, and hand down
     * no governing annotation unless one is a JDK type.
     */
    private boolean reflectionAccessor(ClassLoader loader) {
        return !jdkAnnotations && loader.getClass().getClassLoader() == null
                && loader.getClass().getName().equals("jdk.internal.reflect.DelegatingClassLoader");
    }

    private boolean couldBeGoverned(ClassLoader loader, String internalName, byte[] bytes) {
        if (classNamePatterns.test(internalName.replace('/', '.'))) return true;
        if (reflectionAccessor(loader)) return false;
        try {
            return annotatedOrInherits(bytes, annotationDescriptors, !jdkAnnotations);
        } catch (RuntimeException unreadable) {
            return true; // Byte Buddy decides, and reports what it cannot read
        }
    }

    /**
     * Whether the constant pool holds one of {@code descriptors}, or the class has a supertype that could hand a governing
     * annotation down ({@link #inheritsNothing}). Reads the class file format (JVMS 4.1, 4.4) as far as the interfaces.
     */
    static boolean annotatedOrInherits(byte[] b, byte[][] descriptors, boolean javaSupertypesInheritNothing) {
        if (u4(b, 0) != 0xCAFEBABE) throw new IllegalArgumentException("not a class file");
        int count = u2(b, 8);
        int[] offsets = new int[count];
        int p = 10;
        for (int i = 1; i < count; i++) {
            offsets[i] = p;
            int tag = b[p] & 0xff;
            switch (tag) {
                case 1 -> { // Utf8
                    int length = u2(b, p + 1);
                    for (byte[] d : descriptors) {
                        if (d.length == length && Arrays.equals(b, p + 3, p + 3 + length, d, 0, length)) return true;
                    }
                    p += 3 + length;
                }
                case 7, 8, 16, 19, 20 -> p += 3; // Class, String, MethodType, Module, Package
                case 15 -> p += 4; // MethodHandle
                case 3, 4, 9, 10, 11, 12, 17, 18 -> p += 5; // Integer, Float, the refs, NameAndType, Dynamic, InvokeDynamic
                case 5, 6 -> { // Long, Double: two slots
                    p += 9;
                    i++;
                }
                default -> throw new IllegalArgumentException("constant pool tag " + tag + " at " + p);
            }
        }
        int superClass = u2(b, p + 4), interfaces = u2(b, p + 6);
        if (superClass == 0) return true; // module-info, or java.lang.Object itself
        if (!inheritsNothing(b, offsets, superClass, javaSupertypesInheritNothing)) return true;
        for (int i = 0; i < interfaces; i++) {
            if (!inheritsNothing(b, offsets, u2(b, p + 8 + 2 * i), javaSupertypesInheritNothing)) return true;
        }
        return false;
    }

    /**
     * Whether the supertype at constant-pool index {@code classIndex} cannot hand a governing annotation down: it is
     * {@code Object}, or (when no governing annotation is a {@code java.} type) any {@code java.} class, whose methods carry
     * only the JDK's own annotations. Only the boot and platform loaders may define {@code java.} packages.
     */
    private static boolean inheritsNothing(byte[] b, int[] offsets, int classIndex, boolean javaSupertypesInheritNothing) {
        int name = offsets[u2(b, offsets[classIndex] + 1)];
        int length = u2(b, name + 1);
        if (length == OBJECT.length && Arrays.equals(b, name + 3, name + 3 + length, OBJECT, 0, length)) return true;
        return javaSupertypesInheritNothing && length > JAVA.length && Arrays.equals(b, name + 3, name + 3 + JAVA.length, JAVA, 0, JAVA.length);
    }

    private static int u2(byte[] b, int p) {
        return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
    }

    private static int u4(byte[] b, int p) {
        return u2(b, p) << 16 | u2(b, p + 2);
    }

    /** A name as the constant pool holds it (modified UTF-8). */
    private static byte[] utf8(String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Arrays.copyOfRange(bytes.toByteArray(), 2, bytes.size());
    }
}
