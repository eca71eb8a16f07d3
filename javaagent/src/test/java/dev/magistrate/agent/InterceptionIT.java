package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent in real child JVMs started with nothing but {@code -javaagent:magistrate-agent.jar}: every
 * interception case, denials as exceptions and as fallback values, fail-closed starts, isolation
 * from the application's own libraries, attach to a running JVM, and the Temurin 25 JDK.
 */
class InterceptionIT {

    static final String APP = "example.app.InterceptionApp";
    static final String DENIED = "DENIED dev.magistrate.annotations.CallDeniedException: DENIED: ";

    static final String POLICY = """
            default: T1
            policies:
              - name: reads
                condition: "action in ['health_check', 'purge_cache', 'runbook', 'fails', 'email_customers', 'lookup_weather']"
                risk_tier: T0
              - name: small-scale
                condition: "action == 'scale_service' and instances <= 25"
                risk_tier: T0
              - name: big-scale
                condition: "action == 'scale_service' and instances > 25"
                effect: deny
                reason: "more than 25 instances needs a person; ask for 25 or fewer"
              - name: prod-deploys
                condition: "action == 'deploy' and environment == 'production' and resource == 'prod/web'"
                risk_tier: T0
              - name: no-drop
                condition: "action == 'db_query' and sql matches '(?i)drop'"
                effect: deny
                reason: "dropping tables is never done by an agent"
              - name: selects
                condition: "action == 'db_query' and sql startsWith 'SELECT'"
                risk_tier: T0
              - name: big-refund
                condition: "action == 'refund_order' and cost >= 1000 and justification == 'enterprise customer'"
                effect: deny
                reason: "refunds of 1000 or more need finance"
              - name: small-refund
                condition: "action == 'refund_order' and cost < 1000"
                risk_tier: T0
              - name: renames
                condition: "action == 'rename' and from_name == 'old' and to_name == 'new'"
                risk_tier: T0
              - name: terminate
                condition: "action == 'terminate' and instance == 'i-1'"
                risk_tier: T0
              - name: buckets
                condition: "action == 'FrameworkTools#deleteBucket' and bucket == 'logs'"
                risk_tier: T0
              - name: needs-a-person
                condition: "action == 'slow_approval'"
                risk_tier: T1
                timeout: "1s"
              - name: legacy
                condition: "action == 'legacy_tool' and arg0 == 'x' and arg1 == 3"
                risk_tier: T0
            """;

    @TempDir
    static Path shared;
    static AgentRun.Result main;

    static Path workDir(Path dir, String extraConfig) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n" + extraConfig);
        return dir;
    }

    @BeforeAll
    static void runTheMainCases() throws Exception {
        Path dir = workDir(shared.resolve("main"), "");
        main = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP,
                "class", "interface", "interface-big", "superclass", "static", "reflection", "lambda", "method-ref",
                "deny", "allowed-query", "cost", "cost-small", "arg-names", "nested", "throws", "void", "framework", "pattern-miss",
                "minimum-tier");
    }

    @Test
    void onlyTheAgentFlagIsNeededAndOneStartLineSaysWhatIsGoverned() {
        assertEquals(0, main.exit(), main::toString);
        assertEquals("JVM-ARGS [-javaagent:" + AgentRun.JAR + "=config=" + shared.resolve("main/magistrate.yaml") + "]",
                main.line("JVM-ARGS"), main::toString);
        assertEquals("CONTEXT-LOADER application", main.line("CONTEXT-LOADER"), "the agent gives main its context loader back");
        // One start line; after it, one line per governed method as its class loads, naming the action policies see.
        List<String> agentLines = main.err().lines().filter(l -> l.startsWith("[magistrate]") && !l.startsWith("[magistrate] INFO governing ")).toList();
        assertEquals(1, agentLines.size(), main::toString);
        assertTrue(main.err().contains("[magistrate] INFO governing db_query ("), main::toString);
        String start = agentLines.get(0);
        assertTrue(start.matches("\\[magistrate] INFO magistrate \\S+ started in \\d+ ms \\(unpack \\d+, instrumentation \\d+, engine \\d+\\); governing @GovernedAction; policy .*policy.yaml "
                + "\\(13 rules, sha256 [0-9a-f]{12}\\); approvals NONE .*; audit .*audit \\(mapped\\); keys .*keys"), start);
        assertFalse(main.err().contains("SLF4J"), main::toString);
        assertFalse(main.err().contains("Sharing is only supported"), main::toString);
    }

    @Test
    void governedCallsOfEveryShapeRunWhenThePolicyAllowsThem() {
        assertEquals("OK healthy web", main.outcome("class"));
        assertEquals("OK web scaled to 25", main.outcome("interface"));
        assertEquals("OK deployed to production", main.outcome("superclass"));
        assertEquals("OK 42", main.outcome("static"));
        assertEquals("OK healthy reflected", main.outcome("reflection"));
        assertEquals("OK healthy lambda", main.outcome("lambda"));
        assertEquals("OK healthy ref", main.outcome("method-ref"));
        assertEquals("OK ran SELECT 1", main.outcome("allowed-query"));
        assertEquals("OK refunded A-2", main.outcome("cost-small"));
        assertEquals("OK old->new", main.outcome("arg-names"), "@Arg names reach the policy");
        assertEquals("OK sent", main.outcome("void"));
        assertEquals("OK sunny in Vienna", main.outcome("framework"), "not governed without configuration");
        assertEquals("OK a,b", main.outcome("pattern-miss"));
    }

    @Test
    void deniedCallsThrowAMessageAModelCanActOn() {
        assertEquals(DENIED + "'scale_service' was not allowed by policy rule 'big-scale': more than 25 instances needs a person; "
                + "ask for 25 or fewer. No approver can override this; do not retry the same call.", stripIntent(main.outcome("interface-big")));
        assertTrue(main.outcome("deny").startsWith(DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), main.outcome("deny"));
        assertTrue(main.outcome("cost").contains("'refund_order' was not allowed by policy rule 'big-refund'"), main.outcome("cost"));
        assertEquals("DENIED java.lang.IllegalStateException: tool failed: disk full", main.outcome("throws"),
                "the tool's own exception passes through unchanged");
        assertEquals(DENIED + "'health_check' was not allowed because the approval backend 'none' failed: no approval backend is configured "
                + "(set magistrate.approvals), so no one can approve it.", stripIntent(main.outcome("minimum-tier")),
                "a T0 policy decision raised to the tool's minimum tier T2");
    }

    @Test
    void theAuditTrailHasEveryStepAndLinksNestedCalls() throws Exception {
        List<AuditEvent> events = readAudit(shared.resolve("main/audit"));
        List<AuditEvent> submitted = events.stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).toList();
        AuditEvent outer = submitted.stream().filter(e -> "runbook".equals(e.fields().get("action"))).findFirst().orElseThrow();
        AuditEvent inner = submitted.stream().filter(e -> "health_check".equals(e.fields().get("action"))
                && outer.intentId().equals(e.fields().get("parent_intent_id"))).findFirst().orElse(null);
        assertNotNull(inner, "the nested health_check names the runbook intent as its parent");
        assertEquals("OK runbook: healthy web", main.outcome("nested"));
        assertTrue(events.stream().anyMatch(e -> e.type() == AuditEventType.EXECUTION_FAILED && e.fields().get("message") != null
                && e.fields().get("message").toString().contains("disk full")), "a tool that throws is recorded as failed");
        long completed = events.stream().filter(e -> e.type() == AuditEventType.EXECUTION_COMPLETED).count();
        assertEquals(13, completed, "every call that ran is confirmed: 12 top-level and the nested one");
        AuditEvent refund = submitted.stream().filter(e -> "refund_order".equals(e.fields().get("action"))
                && "enterprise customer".equals(e.fields().get("justification"))).findFirst().orElseThrow();
        assertEquals("5000.0", refund.fields().get("cost"), "the cost parameter became the intent's cost");
        assertTrue(submitted.stream().noneMatch(e -> "FrameworkTools#listBuckets".equals(e.fields().get("action"))));
        AuditEvent deploy = submitted.stream().filter(e -> "deploy".equals(e.fields().get("action"))).findFirst().orElseThrow();
        assertEquals("prod/web", deploy.fields().get("resource"));
    }

    @Test
    void aDeniedToolThatReturnsTextCanHandTheDenialBackAsItsResult(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, "fallback:\n  actions: [db_query]\n"),
                AgentRun.appClasspath(), APP, "fallback", "allowed-query");
        assertTrue(r.outcome("fallback").startsWith("OK DENIED: 'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
        assertEquals("OK ran SELECT 1", r.outcome("allowed-query"));
    }

    @Test
    void frameworkAnnotationsAndClassMethodPatternsAreGovernedByConfigurationAlone(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir,
                        "govern:\n  annotations: [example.app.Tool]\n  methods: ['example.app.Framework*#delete*']\n"),
                AgentRun.appClasspath(), APP, "framework", "framework-unnamed", "pattern", "pattern-miss");
        assertEquals("OK sunny in Vienna", r.outcome("framework"), r::toString);
        assertEquals("OK terminated i-1", r.outcome("framework-unnamed"));
        assertEquals("OK deleted logs", r.outcome("pattern"));
        assertEquals("OK a,b", r.outcome("pattern-miss"));
        List<String> actions = readAudit(dir.resolve("audit")).stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED))
                .map(e -> (String) e.fields().get("action")).toList();
        assertEquals(List.of("lookup_weather", "terminate", "FrameworkTools#deleteBucket"), actions,
                "the framework's name attribute, else the method's name (what the model sees); Class#method only for a pattern;"
                        + " the unmatched method is not governed");
        assertTrue(r.err().contains("@Tool (example.app.Tool)"), r::toString);
        assertTrue(r.err().contains("governing terminate (example.app.FrameworkTools#terminate, args [instance])"),
                "each governed method is logged with its action name when its class loads: " + r.err());
    }

    @Test
    void aCallThatNeedsAPersonSuspendsTheThreadUntilTheApprovalTimesOut(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, "approvals: programmatic\n"),
                AgentRun.appClasspath(), APP, "approval-timeout");
        assertTrue(r.outcome("approval-timeout").startsWith(DENIED + "'slow_approval' was not allowed because approval timed out"), r::toString);
        long waited = Long.parseLong(r.line("WAITED-MS ").substring("WAITED-MS ".length()));
        assertTrue(waited >= 900 && waited < 20_000, "waited " + waited + " ms for a 1 s approval timeout");
        assertTrue(readAudit(dir.resolve("audit")).stream().anyMatch(e -> e.type() == AuditEventType.INTENT_TIMED_OUT));
    }

    @Test
    void withoutAnApprovalBackendCallsThatNeedAPersonAreDeniedAtOnce(@TempDir Path dir) throws Exception {
        // "class" first: the first governed call waits for the engine to start (on its own thread), the timed one must not.
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), AgentRun.appClasspath(), APP, "class", "approval-timeout");
        assertTrue(r.outcome("approval-timeout").contains("no approval backend is configured"), r::toString);
        long waited = Long.parseLong(r.line("WAITED-MS ").substring("WAITED-MS ".length()));
        assertTrue(waited < 900, "denied without waiting for the timeout: " + waited + " ms");
    }

    @Test
    void aPolicyThatDoesNotLoadStartsTheApplicationButDeniesEveryCall(@TempDir Path dir) throws Exception {
        workDir(dir, "");
        Files.writeString(dir.resolve("policy.yaml"), "policies:\n  - name: reads\n    condition: \"acton == 'x'\"\n    risk_tier: T0\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "class", "static");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.outcome("class").startsWith(DENIED + "'health_check' was not allowed by policy: the policy could not be loaded: "
                + dir.resolve("policy.yaml") + ":3:17: unknown name 'acton'"), r::toString);
        assertTrue(r.outcome("static").startsWith(DENIED), r::toString);
        assertTrue(r.err().contains("[magistrate] ERROR policy " + dir.resolve("policy.yaml") + " could not be loaded"), r::toString);
        assertTrue(r.err().contains("FAILED TO LOAD, every call denied"), r::toString);
    }

    @Test
    void aBrokenConfigurationDeniesEveryCall(@TempDir Path dir) throws Exception {
        workDir(dir, "audit_dir: nowhere\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "class");
        assertTrue(r.outcome("class").contains("Magistrate could not start: configuration error"), r::toString);
        assertTrue(r.err().contains("unknown setting 'magistrate.audit_dir' (did you mean 'magistrate.audit.dir'?)"), r::toString);
    }

    @Test
    void theApplicationKeepsItsOwnJacksonAndByteBuddyAndCannotSeeTheAgents(@TempDir Path dir) throws Exception {
        Path libs = Path.of(System.getProperty("magistrate.isolation.libs", "target/isolation-libs"));
        String[] jars;
        try (Stream<Path> s = Files.list(libs)) {
            jars = s.map(Path::toString).sorted().toArray(String[]::new);
        }
        assertEquals(4, jars.length, "jackson 2.17.2 (3 jars) and byte-buddy 1.14.18 in " + libs);
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), AgentRun.appClasspath(jars), APP, "isolation", "class", "deny");
        for (String hidden : List.of("dev.magistrate.agent.internal.AgentInstaller", "dev.magistrate.governor.Governor",
                "net.openhft.chronicle.queue.ChronicleQueue", "org.bouncycastle.crypto.signers.Ed25519Signer",
                "org.codehaus.janino.SimpleCompiler", "picocli.CommandLine")) {
            assertTrue(r.out().contains("HIDDEN " + hidden), hidden + "\n" + r);
        }
        assertTrue(r.out().contains("APP-LIB com.fasterxml.jackson.databind.ObjectMapper jackson-databind-2.17.2.jar"), r::toString);
        assertTrue(r.out().contains("APP-LIB net.bytebuddy.ByteBuddy byte-buddy-1.14.18.jar"), r::toString);
        assertTrue(r.out().contains("APP-JACKSON {\"k\":1}"), r::toString);
        assertTrue(r.out().contains("APP-BYTEBUDDY true"), r::toString);
        assertEquals("OK healthy web", r.outcome("class"));
        assertTrue(r.outcome("deny").startsWith(DENIED), r::toString);
    }

    @Test
    void toolsStayGovernedWhenTheAnnotationsJarIsMissingAtRunTime(@TempDir Path dir) throws Exception {
        // The JVM drops annotations whose classes are missing; the agent must not, or the tools would run ungoverned.
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), AgentRun.TEST_CLASSES.toString(), APP, "class", "deny");
        assertEquals("OK healthy web", r.outcome("class"), r::toString);
        assertTrue(r.outcome("deny").startsWith(DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
    }

    @Test
    void theApplicationCatchesTheDenialByItsTypeWithOrWithoutTheAnnotationsJar(@TempDir Path dir) throws Exception {
        String withJar = AgentRun.appClasspath();
        String withoutJar = AgentRun.TEST_CLASSES.toString();
        for (String classpath : List.of(withJar, withoutJar)) {
            Path work = workDir(dir.resolve(classpath.equals(withJar) ? "with-jar" : "without-jar"), "");
            AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), work, classpath, APP, "typed-catch", "class");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(stripIntent(r.outcome("typed-catch")).startsWith("OK caught CallDeniedException (bootstrap loader): "
                    + "DENIED: 'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
            assertEquals("OK healthy web", r.outcome("class"), r::toString);
        }
    }

    @Test
    void classesCompiledWithoutParameterNamesUseArg0WithAWarning(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src/legacy/NoParams.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package legacy;
                import dev.magistrate.annotations.GovernedAction;
                public class NoParams {
                    @GovernedAction("legacy_tool")
                    public String run(String target, int count) { return target + count; }
                    public static void main(String[] a) {
                        try { System.out.println("CASE legacy OK " + new NoParams().run("x", 3)); }
                        catch (RuntimeException e) { System.out.println("CASE legacy DENIED " + e.getMessage()); }
                        try { System.out.println("CASE legacy-miss OK " + new NoParams().run("y", 3)); }
                        catch (RuntimeException e) { System.out.println("CASE legacy-miss DENIED " + e.getMessage()); }
                    }
                }
                """);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // Deliberately without -parameters.
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", AgentRun.appClasspath(), src.toString());
        assertEquals(0, rc);
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir.resolve("run"), ""),
                classes + File.pathSeparator + AgentRun.appClasspath(), "legacy.NoParams");
        assertEquals("OK x3", r.outcome("legacy"), r::toString);
        assertTrue(r.outcome("legacy-miss").startsWith("DENIED"), r::toString);
        assertEquals(1, r.err().lines().filter(l -> l.contains("legacy.NoParams was compiled without -parameters")).count(), r::toString);
    }

    @Test
    void theSameOnTheTemurin25Jdk(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        AgentRun.Result r = AgentRun.withAgent(AgentRun.JDK25.toString(), workDir(dir, ""), AgentRun.appClasspath(), APP,
                "class", "interface-big", "nested", "static", "method-ref");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("OK healthy web", r.outcome("class"));
        assertTrue(r.outcome("interface-big").startsWith(DENIED + "'scale_service' was not allowed by policy rule 'big-scale'"), r::toString);
        assertEquals("OK runbook: healthy web", r.outcome("nested"));
        assertEquals("OK 42", r.outcome("static"));
        assertEquals("OK healthy ref", r.outcome("method-ref"));
        assertTrue(r.line("JVM-ARGS").matches("JVM-ARGS \\[-javaagent:[^,]*]"), r::toString);
    }

    @Test
    void attachingToARunningJvmGovernsClassesAlreadyLoaded(@TempDir Path dir) throws Exception {
        workDir(dir, "");
        List<String> cmd = new ArrayList<>(List.of(AgentRun.java(), "-cp", AgentRun.appClasspath(), APP,
                "class", "wait-stdin", "class", "deny"));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("err.txt").toFile()).start();
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY")) seen.append(line).append('\n');
        assertNotNull(line, "the app never got ready: " + seen);
        assertTrue(seen.toString().contains("CASE class OK healthy web"), "before attach the call is not governed: " + seen);
        var vm = com.sun.tools.attach.VirtualMachine.attach(String.valueOf(p.pid()));
        try {
            vm.loadAgent(AgentRun.JAR.toString(), "config=" + dir.resolve("magistrate.yaml"));
        } finally {
            vm.detach();
        }
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        StringBuilder after = new StringBuilder();
        while ((line = out.readLine()) != null) after.append(line).append('\n');
        p.waitFor();
        String err = Files.readString(dir.resolve("err.txt"));
        assertTrue(after.toString().contains("CASE class OK healthy web"), after + err);
        assertTrue(after.toString().contains("CASE deny " + DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), after + err);
        assertTrue(err.contains("[magistrate] INFO magistrate") && err.contains(" attached in "), err);
        assertEquals(2, readAudit(dir.resolve("audit")).stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).count(),
                "only the calls after the attach were governed");
    }

    @Test
    void interfaceDefaultAndStaticMethodsAndClassesInJdkLikePackagesAreGoverned(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), AgentRun.appClasspath(), APP,
                "interface-default", "interface-static", "jdk-like-package");
        assertTrue(r.outcome("interface-default").startsWith(DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
        assertTrue(r.outcome("interface-static").startsWith(DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
        assertTrue(r.outcome("jdk-like-package").startsWith(DENIED + "'db_query' was not allowed by policy rule 'no-drop'"), r::toString);
        assertEquals(3, readAudit(dir.resolve("audit")).stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).count(), r::toString);
    }

    @Test
    void aLookalikeActionNameCannotSlipPastARuleToTheDefaultTier(@TempDir Path dir) throws Exception {
        workDir(dir, "");
        // The default lets anything unnamed run: exactly what a lookalike name would aim for.
        Files.writeString(dir.resolve("policy.yaml"), "default: T0\npolicies:\n  - name: big-scale\n"
                + "    condition: \"action == 'scale_service' and instances > 25\"\n    effect: deny\n    reason: \"ask for 25 or fewer\"\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "lookalike-action", "fullwidth-action", "interface");
        assertTrue(r.outcome("lookalike-action").startsWith(DENIED + "'\u0455cale_service' was not allowed because its action name"), r::toString);
        assertTrue(r.outcome("fullwidth-action").startsWith(DENIED + "'scale_service' was not allowed by policy rule 'big-scale'"), r::toString);
        assertEquals("OK web scaled to 25", r.outcome("interface"));
        assertTrue(r.err().contains("is not an ASCII identifier"), r::toString);
        AuditEvent refused = readAudit(dir.resolve("audit")).stream().filter(e -> e.type() == AuditEventType.INTENT_DENIED
                && "ungovernable".equals(e.fields().get("stage"))).findFirst().orElse(null);
        assertNotNull(refused, "a call that cannot be governed is audited as denied, not only refused: " + r);
        assertTrue(refused.fields().get("reason").toString().contains("is not an ASCII identifier"), refused::toString);
    }

    @Test
    void aForgottenToolMethodIsRefusedWhenToolsMustBeGoverned(@TempDir Path dir) throws Exception {
        // The configuration governs the delete* pattern but forgot the framework's @Tool annotation.
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir,
                        "require: [example.app.Tool]\ngovern:\n  methods: ['example.app.Framework*#delete*']\n"),
                AgentRun.appClasspath(), APP, "framework", "pattern", "pattern-miss");
        assertTrue(r.outcome("framework").startsWith(DENIED + "'lookup_weather' was not allowed because it is a tool (@Tool) that"
                + " magistrate.require says must be governed"), r::toString);
        assertTrue(r.outcome("framework").contains("add example.app.Tool to magistrate.govern.annotations"), r::toString);
        assertEquals("OK deleted logs", r.outcome("pattern"), "a governed method still runs");
        assertEquals("OK a,b", r.outcome("pattern-miss"), "a method that is no tool is left alone");
        assertTrue(r.err().contains("FrameworkTools#weather: it is a tool (@Tool) that magistrate.require says must be governed"),
                "said when the class loads: " + r.err());
        List<AuditEvent> events = readAudit(dir.resolve("audit"));
        AuditEvent denied = events.stream().filter(e -> e.type() == AuditEventType.INTENT_DENIED).findFirst().orElseThrow();
        assertEquals("ungovernable", denied.fields().get("stage"));
        String intent = denied.intentId();
        assertTrue(events.stream().anyMatch(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED) && e.intentId().equals(intent)
                && "lookup_weather".equals(e.fields().get("action"))), "the refused call is in the audit trail under its tool name");
        assertTrue(events.stream().noneMatch(e -> e.intentId().equals(intent) && e.type().steps().contains(AuditEventType.EXECUTION_STARTED)));
    }

    @Test
    void aSpringProxyOfAToolBeanIsNotGovernedASecondTime(@TempDir Path dir) throws Exception {
        workDir(dir, "");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP, "spring-proxy");
        assertTrue(r.outcome("spring-proxy").startsWith(DENIED + "'scale_service' was not allowed by policy rule 'big-scale'"), r::toString);
        assertEquals(1, readAudit(dir.resolve("audit")).stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).count(),
                "one intent, the bean's: " + r);
        assertFalse(r.err().contains("SpringCGLIB"), r::toString);
    }

    @Test
    void theBodyRunsOnTheArgumentsThatWereDecidedOnNotOnesChangedAfterTheGrant(@TempDir Path dir) throws Exception {
        workDir(dir, "");
        Files.writeString(dir.resolve("policy.yaml"), "default: T0\npolicies:\n  - name: never prod\n"
                + "    condition: \"action == 'terminate_instances' and 'i-prod' in instances\"\n    effect: deny\n    reason: \"not prod\"\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), APP,
                "mutable-after-grant", "mutable-parameter-type", "concrete-list-parameter");
        assertEquals("OK i-1 (caller's list now [i-1, i-prod])", r.outcome("mutable-after-grant"),
                "the body sees the snapshot the policy approved, not the caller's list changed after the grant: " + r);
        assertTrue(r.outcome("mutable-parameter-type").startsWith(DENIED + "'write_note' was not allowed because its argument 'text' cannot be governed: "
                + "java.lang.StringBuilder can change"), r::toString);
        assertTrue(r.outcome("concrete-list-parameter").startsWith(DENIED + "'terminate_instances' was not allowed because its argument 'instances' cannot be governed"),
                r::toString);
        assertTrue(r.err().contains("SnapshotTools#note: its argument 'text' cannot be governed"), "said at instrumentation time: " + r);
        AuditEvent submitted = readAudit(dir.resolve("audit")).stream().filter(e -> e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)).findFirst().orElseThrow();
        assertEquals("{\"instances\":[\"i-1\"]}", submitted.fields().get("args"), "the audit records what ran");
    }

    @Test
    void applicationCodeCannotSwapTheDispatcherByReflection(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), AgentRun.appClasspath(), APP, "swap-dispatcher");
        String outcome = r.outcome("swap-dispatcher");
        assertTrue(outcome.startsWith("OK [install=false"), outcome);
        assertTrue(outcome.contains("Installed.DISPATCHER=refused"), outcome);
        assertTrue(outcome.contains("still denied: DENIED: 'db_query' was not allowed by policy rule 'no-drop'"), outcome);
        assertTrue(outcome.endsWith("after the flag: denied: DENIED: Magistrate has not started, so no governed call may run."), outcome);
    }

    static String stripIntent(String outcome) {
        return outcome.replaceAll(" \\[intent [0-9a-f-]+]$", "");
    }

    static List<AuditEvent> readAudit(Path dir) {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    /** Issue 13: a rule written with 'true' guards a real boolean parameter; its negation does not grant it. */
    @Test
    void aBooleanParameterMeetsARuleWrittenWithItsText(@TempDir Path dir) throws Exception {
        Path work = workDir(dir, "");
        Files.writeString(work.resolve("policy.yaml"), """
                policies:
                  - name: sensitive-exports
                    condition: "action == 'export_data' and args.sensitive == 'true'"
                    effect: deny
                    reason: "sensitive data is not exported by an agent"
                  - name: plain-exports
                    condition: "action == 'export_data' and not (args.sensitive == 'true')"
                    risk_tier: T0
                """);
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), work, AgentRun.appClasspath(), APP, "export-sensitive", "export-plain");
        assertTrue(r.outcome("export-sensitive").startsWith(DENIED + "'export_data' was not allowed by policy rule 'sensitive-exports'"), r::toString);
        assertEquals("OK exported menu", r.outcome("export-plain"), r::toString);
    }
}
