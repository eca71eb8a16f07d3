package dev.magistrate.engine;

import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.VerificationResult;
import dev.magistrate.keys.KeyDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example in docs/approvals.md compiles as written, and runs against a real policy, keys and audit log. */
class ApprovalDocsExampleTest {

    private static final Path DOC = Path.of("../docs/approvals.md");

    @TempDir
    Path tmp;

    /** The first java block of the page: its import lines, and the rest as the body of a method that returns a String. */
    private static String exampleClass(String name, String example) {
        List<String> imports = new ArrayList<>(), body = new ArrayList<>();
        for (String line : example.lines().toList()) (line.startsWith("import ") ? imports : body).add(line);
        return String.join("\n", imports) + "\n\npublic class " + name + " {\n"
                + "    public static String run() throws Exception {\n" + String.join("\n", body) + "\n    }\n\n"
                + "    static Object scale(String service, int instances) {\n        return service + \" at \" + instances;\n    }\n}\n";
    }

    private static String example() throws Exception {
        String page = Files.readString(DOC);
        int start = page.indexOf("```java\n");
        assertTrue(start >= 0, "docs/approvals.md has a java example");
        start += "```java\n".length();
        return page.substring(start, page.indexOf("```", start));
    }

    private Object compileAndRun(String name, String source) throws Exception {
        Path out = compile(name, source);
        try (URLClassLoader loader = new URLClassLoader(new URL[]{out.toUri().toURL()}, getClass().getClassLoader())) {
            return loader.loadClass(name).getMethod("run").invoke(null);
        }
    }

    private Path compile(String name, String source) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src")).resolve(name + ".java");
        Path out = Files.createDirectories(tmp.resolve("classes"));
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-d", out.toString(), "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "the docs example does not compile:\n" + err + "\n" + source);
        return out;
    }

    @Test
    void theExampleCompilesAsWrittenAndAdmitsOrDeniesAgainstARealEngine() throws Exception {
        String example = example();
        compile("AsWritten", exampleClass("AsWritten", example)); // not run as written: it would write to /var/lib

        Path policies = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(tmp.resolve("approvers.yaml"), "approvers:\n  - id: alice\n    roles: [sre]\n");
        Files.writeString(policies.resolve("scale.yaml"), """
                policies:
                  - name: small scale-outs
                    condition: "action == 'scale_infrastructure' and instances <= 25"
                    risk_tier: T0
                """);
        String here = example.replace("Path.of(\"policies/\")", "Path.of(\"" + policies + "\")")
                .replace("Path.of(\"approvers.yaml\")", "Path.of(\"" + tmp.resolve("approvers.yaml") + "\")")
                .replace("/var/lib/magistrate", tmp.resolve("state").toString());
        assertEquals("done: web at 25", compileAndRun("Allowed", exampleClass("Allowed", here)));

        Files.writeString(policies.resolve("scale.yaml"), """
                policies:
                  - name: no scale-outs today
                    condition: "action == 'scale_infrastructure'"
                    effect: deny
                    reason: "a change freeze is on"
                """);
        String denied = (String) compileAndRun("Denied", exampleClass("Denied", here));
        assertTrue(denied.startsWith("DENIED: 'scale_infrastructure' was not allowed by policy rule 'no scale-outs today': a change freeze is on"),
                denied);

        // Both runs wrote one audit log, signed by the log keys, that verifies from its first entry.
        Path state = tmp.resolve("state");
        VerificationResult r = new AuditLogVerifier(KeyDirectory.open(state.resolve("keys")).logKeys().verifier()).verify(state.resolve("audit"));
        assertEquals(VerificationResult.Status.OK, r.status(), r.summary());
        assertTrue(r.entries() >= 5, r.summary()); // the T0 call: granted (submitted, decided, started), completed; the denial: submitted, decided, denied
        assertTrue(Files.exists(state.resolve("audit").resolve(Magistrate.LEDGER_FILE)));
    }
}
