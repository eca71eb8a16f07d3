package dev.magistrate.samples.springai;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spring AI's own tool-calling loop calls the @Tool methods; the agent governs them, configured, not coded. */
class OpsAssistantIT {

    static final Path AGENT = Path.of(System.getProperty("magistrate.agent.jar")).toAbsolutePath();
    static final Path SAMPLE = Path.of(System.getProperty("sample.dir", ".")).toAbsolutePath();

    static String[] exec(Path dir, List<String> cmd) throws Exception {
        Path out = Files.createTempFile("out", ".txt"), err = Files.createTempFile("err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished in time: " + cmd);
        return new String[]{String.valueOf(p.exitValue()), Files.readString(out), Files.readString(err)};
    }

    @Test
    void theDenialReachesTheModelAsTheToolResultAndTheModelAsksForWhatIsAllowed(@TempDir Path run) throws Exception {
        Files.copy(SAMPLE.resolve("magistrate.yaml"), run.resolve("magistrate.yaml"));
        Files.copy(SAMPLE.resolve("policy.yaml"), run.resolve("policy.yaml"));
        String java = ProcessHandle.current().info().command().orElse("java");
        // run.sh's class path: the application's runtime dependencies as the build wrote them (no test ones: not the starter).
        String cp = SAMPLE.resolve("target/classes") + File.pathSeparator + Files.readString(SAMPLE.resolve("target/classpath.txt")).strip();
        String[] r = exec(run, List.of(java, "-javaagent:" + AGENT + "=config=magistrate.yaml", "-cp", cp,
                "dev.magistrate.samples.springai.OpsAssistantApplication"));
        String out = r[1], err = r[2];
        assertEquals("0", r[0], out + err);
        assertTrue(out.contains("model    > calls scale_service {\"service\":\"web\",\"instances\":200}"), out);
        assertTrue(out.contains("model    < tool result: DENIED: 'scale_service' was not allowed by policy rule 'Scale-out ceiling': "
                + "an agent may run at most 25 instances"), out);
        assertTrue(out.contains("model    > calls scale_service {\"service\":\"web\",\"instances\":25}"), out);
        assertTrue(out.contains("model    < tool result: \"web now runs 25 instances\""), out);
        assertTrue(out.contains("fleet    = web runs 25 instances"), out);
        assertTrue(err.contains("governing @GovernedAction, @Tool (org.springframework.ai.tool.annotation.Tool)"), err);
        // The JVM's own "WARNING:" lines on JDK 25 (Unsafe, native access; README) are not the application's to silence.
        String logged = err.lines().filter(l -> !l.startsWith("WARNING: ") && !l.isBlank()).collect(Collectors.joining("\n"));
        assertFalse(out.contains("Spring Boot ::") || out.contains("Started ") || logged.contains("SLF4J") || logged.contains("WARN"),
                "a quiet run: no banner, no Boot start-up log, no SLF4J warnings, no tool-failure noise: " + out + err);

        Path audit = run.resolve("target/demo-run/audit");
        String[] verify = exec(run, List.of(java, "-jar", AGENT.toString(), "audit", "verify", audit.toString(), "--keys",
                run.resolve("target/demo-run/keys").toString()));
        assertEquals("0", verify[0], verify[1] + verify[2]);
        assertTrue(verify[1].startsWith("OK "), verify[1]);
        String[] timeline = exec(run, List.of(java, "-jar", AGENT.toString(), "audit", "timeline", audit.toString()));
        assertTrue(timeline[1].matches("(?s).*scale_service\\s+T3\\s+denied by policy\\s+\\(Scale-out ceiling\\).*"), timeline[1]);
        assertTrue(timeline[1].matches("(?s).*scale_service\\s+T0\\s+ran\\s+-.*"), timeline[1]);
    }
}
