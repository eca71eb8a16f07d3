package dev.magistrate.agent.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the filter hands to Byte Buddy, read from real class files (the test application's): every class the installer's
 * matchers could govern, and not the plain ones. Byte Buddy is stood in for by a transformer that counts what it gets.
 */
class GovernedClassFilterTest {

    private static final byte[] MARK = {1};
    private final AtomicInteger made = new AtomicInteger();

    private GovernedClassFilter filter(List<String> annotations, String patternClass) {
        return new GovernedClassFilter(null, annotations, name -> name.equals(patternClass), this::byteBuddy);
    }

    /** Byte Buddy's stand-in: counts how often it is made, and marks what it is given. */
    private ClassFileTransformer byteBuddy() {
        made.incrementAndGet();
        return new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain, byte[] bytes) {
                return MARK;
            }
        };
    }

    private static byte[] bytes(String className) throws IOException {
        try (InputStream in = GovernedClassFilterTest.class.getClassLoader().getResourceAsStream(className.replace('.', '/') + ".class")) {
            assertNotNull(in, className);
            return in.readAllBytes();
        }
    }

    private static byte[] offer(GovernedClassFilter f, String className) throws Exception {
        return f.transform(null, GovernedClassFilterTest.class.getClassLoader(), className.replace('.', '/'), null, null, bytes(className));
    }

    @Test
    void plainClassesNeverLoadByteBuddyAndCandidatesLoadItOnce() throws Exception {
        GovernedClassFilter f = filter(List.of(GovernedMethods.GOVERNED_ACTION), null);
        assertNull(offer(f, "example.app.ExitApp"), "extends Object, no annotation");
        assertNull(offer(f, "example.app.PatternOnlyTools"), "no pattern configured: implements Runnable only; long and double constants read");
        assertNull(offer(f, "example.app.FrameworkTools"), "@Tool is not governing unless configured");
        assertEquals(0, made.get(), "Byte Buddy is not made for plain classes");
        assertEquals(MARK, offer(f, "example.app.Tools"), "declares @GovernedAction methods");
        assertEquals(MARK, offer(f, "example.app.Tools$Deployer"), "overrides an annotated superclass method, no annotation of its own");
        assertEquals(MARK, offer(f, "example.app.Tools$CloudScaler"), "implements an annotated interface method");
        assertEquals(1, made.get(), "made once, with the first candidate");
    }

    @Test
    void configuredAnnotationsRequiredOnesAndPatternsMakeCandidates() throws Exception {
        assertEquals(MARK, offer(filter(List.of(GovernedMethods.GOVERNED_ACTION, "example.app.Tool"), null), "example.app.FrameworkTools"));
        assertEquals(MARK, offer(filter(List.of(GovernedMethods.GOVERNED_ACTION), "example.app.PatternOnlyTools"), "example.app.PatternOnlyTools"));
    }

    @Test
    void javaSupertypesHandNothingDownUnlessAGoverningAnnotationIsAJdkType() throws Exception {
        // Implements Runnable only: plain...
        assertNull(offer(filter(List.of(GovernedMethods.GOVERNED_ACTION), null), "example.app.PatternOnlyTools"));
        // ...but not when the configuration governs by an annotation the JDK's own methods carry.
        assertEquals(MARK, offer(filter(List.of(GovernedMethods.GOVERNED_ACTION, "java.lang.Deprecated"), null), "example.app.PatternOnlyTools"));
    }

    @Test
    void classesOfTheBootAndAgentLoadersAreSkippedAndUnreadableBytesGoToByteBuddy() throws Exception {
        GovernedClassFilter f = filter(List.of(GovernedMethods.GOVERNED_ACTION), null);
        assertNull(f.transform(null, null, "example/app/Tools", null, null, bytes("example.app.Tools")), "the boot loader's");
        assertEquals(MARK, f.transform(null, getClass().getClassLoader(), "example/app/Broken", null, null, new byte[]{(byte) 0xCA, (byte) 0xFE, 0, 0}));
    }

    @Test
    void classesOfLoadersTheAgentsLoaderIsParentToAreSkipped() throws Exception {
        try (URLClassLoader agentLoader = new URLClassLoader(new URL[0], null);
             URLClassLoader compiledPolicies = new URLClassLoader(new URL[0], agentLoader);
             URLClassLoader application = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
            GovernedClassFilter f = new GovernedClassFilter(agentLoader, List.of(GovernedMethods.GOVERNED_ACTION), name -> false, this::byteBuddy);
            // Janino's loader for a compiled policy is a child of the agent's: what it defines is ours, even a class that
            // would otherwise be a candidate.
            assertNull(f.transform(null, agentLoader, "example/app/Tools", null, null, bytes("example.app.Tools")));
            assertNull(f.transform(null, compiledPolicies, "example/app/Tools", null, null, bytes("example.app.Tools")));
            assertEquals(0, made.get(), "Byte Buddy is not made for the agent's own classes");
            assertEquals(MARK, f.transform(null, application, "example/app/Tools", null, null, bytes("example.app.Tools")),
                    "an application's loader, whatever its depth, is not ours");
        }
    }
}
