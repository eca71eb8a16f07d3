package dev.magistrate.samples.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15, approve later, with LangChain4j's own tool execution: the tool answers "pending" at once and the model tells
 * the user; a person approves at the console while no thread waits; the user comes back, the model makes the same call
 * again, and the tool runs exactly once.
 */
class ApproveLaterIT {

    /** The sample's demo token for sam (approve-later/approvers.yaml holds its hash; the README prints it). */
    static final String SAM_DEMO_TOKEN = "mgt_DEMO-ONLY-sam-approve-later-sample-token-do-not-use";
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theModelIsToldPendingThePersonApprovesAndTheSameCallMadeAgainRunsOnce(@TempDir Path run) throws Exception {
        Path config = run.resolve("approve-later");
        Files.createDirectories(config);
        for (String f : List.of("magistrate.yaml", "policy.yaml", "approvers.yaml")) {
            Files.copy(OpsAssistantIT.SAMPLE.resolve("approve-later").resolve(f), config.resolve(f));
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("junit") && !e.contains("opentest4j") && !e.contains("apiguardian") && !e.contains("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        Path err = run.resolve("stderr.txt");
        Process p = new ProcessBuilder(java, "-javaagent:" + OpsAssistantIT.AGENT + "=config=approve-later/magistrate.yaml", "-cp", cp,
                "dev.magistrate.samples.langchain4j.OpsAssistant", "approve-later")
                .directory(run.toFile()).redirectError(err.toFile()).start();
        StringBuffer out = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) out.append(line).append('\n');
            } catch (Exception ignored) {
                // the process ended
            }
        });
        reader.start();
        try {
            awaitOutput(out, "(the conversation is free", p, err);
            Matcher pending = Pattern.compile("model    < tool result: PENDING: 'scale_service' waits for approval \\(T1, 1 approval, deadline [^)]+\\)"
                    + " and has not run\\..*\\[intent ([^\\]]+)]").matcher(out);
            assertTrue(pending.find(), out::toString);
            String intentId = pending.group(1);
            assertTrue(out.toString().contains("model    > Scaling web to 40 needs a person's approval"), out::toString);
            assertFalse(out.toString().contains("fleet"), "the conversation went on without running the tool: " + out);

            JsonNode console = JSON.readTree(Files.readString(run.resolve("target/approve-later-run/keys/console.json")));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(console.get("url").asText() + "/api/requests"))
                    .header("Authorization", "Bearer " + console.get("token").asText()).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode requests = JSON.readTree(list.body());
            assertEquals(1, requests.size(), list.body());
            assertEquals(intentId, requests.get(0).get("intent_id").asText());
            assertEquals(40, requests.get(0).get("args").get("instances").asInt());
            HttpResponse<String> vote = http.send(HttpRequest.newBuilder(URI.create(console.get("url").asText() + "/api/requests/" + intentId + "/votes"))
                    .header("Authorization", "Bearer " + SAM_DEMO_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"approver\":\"sam\",\"verdict\":\"approve\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("granted", JSON.readTree(vote.body()).get("state").asText(), vote.body());

            try (OutputStream in = p.getOutputStream()) {
                in.write('\n'); // the user comes back
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished: " + out);
            reader.join(5000);
            assertEquals(0, p.exitValue(), out + Files.readString(err));
            String o = out.toString();
            assertEquals(2, count(o, "model    > calls scale_service {\"service\":\"web\",\"instances\":40}"), o);
            assertTrue(o.contains("model    < tool result: web now runs 40 instances"), o);
            assertTrue(o.contains("answer   = Done: web now runs 40 instances."), o);
            assertTrue(o.contains("fleet    = web runs 40 instances"), o);
        } finally {
            p.destroyForcibly();
        }

        String[] timeline = OpsAssistantIT.exec(run, List.of(java, "-jar", OpsAssistantIT.AGENT.toString(), "audit", "timeline",
                run.resolve("target/approve-later-run/audit").toString()));
        assertEquals(1, count(timeline[1], "scale_service"), "one intent, approved once, ran once: " + timeline[1]);
        assertTrue(timeline[1].matches("(?s).*scale_service\\s+T1\\s+ran\\s.*"), timeline[1]);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    private static void awaitOutput(StringBuffer out, String marker, Process p, Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (out.indexOf(marker) < 0) {
            if (!p.isAlive()) fail("ended early (exit " + p.exitValue() + "): " + out + Files.readString(err));
            if (System.nanoTime() > deadline) fail("no '" + marker + "' within 60 s: " + out + Files.readString(err));
            Thread.sleep(50);
        }
    }
}
