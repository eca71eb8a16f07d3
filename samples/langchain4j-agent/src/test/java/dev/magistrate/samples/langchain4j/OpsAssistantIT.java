package dev.magistrate.samples.langchain4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LangChain4j's own tool execution path calls the @Tool methods; the agent governs them, configured, not coded. */
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
        String cp = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("junit") && !e.contains("opentest4j") && !e.contains("apiguardian") && !e.contains("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        String[] r = exec(run, List.of(java, "-javaagent:" + AGENT + "=config=magistrate.yaml", "-cp", cp,
                "dev.magistrate.samples.langchain4j.OpsAssistant"));
        String out = r[1];
        assertEquals("0", r[0], out + r[2]);
        assertTrue(out.contains("model    > calls scale_service {\"service\":\"web\",\"instances\":200}"), out);
        assertTrue(out.contains("model    < tool result: DENIED: 'scale_service' was not allowed by policy rule 'Scale-out ceiling': "
                + "an agent may run at most 25 instances"), out);
        assertTrue(out.contains("model    > calls scale_service {\"service\":\"web\",\"instances\":25}"), out);
        assertTrue(out.contains("fleet    = web runs 25 instances"), out);
        assertTrue(r[2].contains("governing @Tool (dev.langchain4j.agent.tool.Tool)"), r[2]);
        assertTrue(!r[2].contains("SLF4J") && !r[2].contains("] WARN "), "a quiet run: no SLF4J provider warnings, no tool-failure noise: " + r[2]);

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
