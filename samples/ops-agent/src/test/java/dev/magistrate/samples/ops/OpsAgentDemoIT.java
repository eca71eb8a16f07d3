package dev.magistrate.samples.ops;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo as a user runs it: the sample under the built agent jar, then the audit trail it wrote, checked by the CLI. */
class OpsAgentDemoIT {

    static final Path AGENT = Path.of(System.getProperty("magistrate.agent.jar")).toAbsolutePath();
    static final Path SAMPLE = Path.of(System.getProperty("sample.dir", ".")).toAbsolutePath();

    @TempDir
    static Path run;
    static Result demo;

    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static Result exec(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("out", ".txt"), err = Files.createTempFile("err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in 120 s: " + cmd + "\n" + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @BeforeAll
    static void runTheDemo() throws Exception {
        for (String f : List.of("magistrate.yaml", "approvers.yaml")) Files.copy(SAMPLE.resolve(f), run.resolve(f));
        Files.createDirectories(run.resolve("policies"));
        for (String f : List.of("ops-policy.yaml", "ops-policy.test.yaml")) {
            Files.copy(SAMPLE.resolve("policies").resolve(f), run.resolve("policies").resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String cp = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("junit") && !e.contains("opentest4j") && !e.contains("apiguardian") && !e.contains("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        demo = exec(run, List.of(java(), "-javaagent:" + AGENT + "=config=magistrate.yaml", "-cp", cp, "dev.magistrate.samples.ops.OpsAgent"));
    }

    @Test
    void theNightIsReplayedAndTheBillNeverHappens() {
        assertEquals(0, demo.exit(), demo::toString);
        String out = demo.out();
        assertTrue(out.contains("The approver desk is SCRIPTED"), out);
        assertTrue(out.contains("denied   ! DENIED: 'scale_service' was not allowed by approver 'sam': 200 instances is what the attacker wants"), out);
        assertTrue(out.contains("tool     = web scaled from 10 to 25 instances"), out);
        assertTrue(out.contains("denied   ! DENIED: 'terminate_instances' was not allowed by approver 'sam': i-dr-eu-1 and i-dr-eu-2 are the disaster-recovery standbys"), out);
        assertTrue(out.contains("denied   ! DENIED: 'run_database_operation' was not allowed by policy rule 'No DROP'"), out);
        assertTrue(out.contains("tool     = refunded $5,000.00 on ENT-4471"), out);
        assertTrue(out.contains("tool     = emailed the enterprise segment"), out);
        assertTrue(out.contains("Overnight bill for the scale-out: $3,711 (web at 25 instances)."), out);
        assertTrue(out.contains("The $47,006 for 200 instances did not happen. DR standbys kept; compliance table kept; refunds $5,000."), out);
        assertTrue(demo.err().contains("[magistrate] INFO magistrate"), demo::toString);
        assertTrue(demo.err().contains("approvals console at http://127.0.0.1:"), demo::toString);
        assertFalse(demo.err().contains("SLF4J"), demo::toString);
    }

    @Test
    void theAuditTrailItWroteVerifiesAndReportsTheNight() throws Exception {
        Path audit = run.resolve("target/demo-run/audit"), keys = run.resolve("target/demo-run/keys");
        Result verify = exec(run, List.of(java(), "-jar", AGENT.toString(), "audit", "verify", audit.toString(), "--keys", keys.toString()));
        assertEquals(0, verify.exit(), verify::toString);
        assertTrue(verify.out().startsWith("OK "), verify::toString);
        Result report = exec(run, List.of(java(), "-jar", AGENT.toString(), "audit", "report", audit.toString()));
        assertEquals(0, report.exit(), report::toString);
        assertTrue(report.out().contains("No DROP"), report::toString);
        assertFalse(report.out().contains("Database writes"), "a rule that matched but did not deny is no denial: " + report);
        assertTrue(report.out().contains("scale_service"), report::toString);
        Result timeline = exec(run, List.of(java(), "-jar", AGENT.toString(), "audit", "timeline", audit.toString()));
        assertEquals(0, timeline.exit(), timeline::toString);
        String t = timeline.out();
        assertTrue(t.matches("(?s).*scale_service\\s+T3\\s+denied by approver\\s+\\(sam\\).*"), t);
        assertTrue(t.matches("(?s).*scale_service\\s+T2\\s+ran\\s+sam, riya\\s+\\d+ ms\\s+\\S+.*"), t);
        assertTrue(t.matches("(?s).*terminate_instances\\s+T2\\s+denied by approver\\s+\\(sam\\).*"), t);
        assertTrue(t.matches("(?s).*run_database_operation\\s+T3\\s+denied by policy\\s+\\(No DROP\\).*"), t);
        assertTrue(t.matches("(?s).*refund_order\\s+T2\\s+ran\\s+maria, frank.*"), t);
        assertTrue(t.matches("(?s).*health_check\\s+T0\\s+ran\\s+-.*"), t);
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", AGENT.toString(), "policy", "test", "policies/ops-policy.test.yaml"));
        Result tests = exec(run, cmd);
        assertEquals(0, tests.exit(), tests::toString);
        assertTrue(tests.out().strip().endsWith("9 passed, 0 failed"), tests::toString);
    }
}
