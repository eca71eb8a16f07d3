package dev.magistrate.spring;

import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Chronicle Queue, under the audit trail, reflects into java.base. The agent opens those packages
 * itself (it has Instrumentation); a Spring application must start the JVM with these flags, and
 * without them Chronicle fails deep inside its first file mapping. So the starter checks first and
 * names the flags.
 */
final class ChronicleAccess {

    static final List<String> PACKAGES = List.of("java.lang", "java.lang.reflect", "java.io", "java.util", "java.nio", "sun.nio.ch",
            "jdk.internal.ref");

    private ChronicleAccess() {
    }

    /** The JVM flags, one per package, that Chronicle Queue needs. */
    static String flags() {
        return missingFlags(p -> false);
    }

    /** The flags still missing, given which java.base packages are open to the application; empty when none are. */
    static String missingFlags(Predicate<String> open) {
        return PACKAGES.stream().filter(open.negate()).map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").collect(Collectors.joining(" "));
    }

    /** @throws IllegalStateException naming the missing flags */
    static void require() {
        Module base = Object.class.getModule();
        Module starter = ChronicleAccess.class.getModule();
        String missing = missingFlags(p -> base.isOpen(p, starter));
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the audit trail (Chronicle Queue) needs JVM flags that the -javaagent sets itself and a"
                    + " Spring application must pass (on the java command line or in JDK_JAVA_OPTIONS): " + missing);
        }
    }
}
