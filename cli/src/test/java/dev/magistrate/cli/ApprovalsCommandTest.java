package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.Totp;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.governor.DeniedException;
import dev.magistrate.intent.Intent;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * approvals list/show/approve/deny/edit/ask, run in process against a real approval console in front of a real
 * governor ({@link Magistrate#open} with the console backend, personal tokens enrolled by hash). The edit and
 * ask bodies are checked on a loopback server that records what the command sends.
 */
class ApprovalsCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String DAVE_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
    static final String ERIN_SECRET = "ONSWG4TFORZWK4TFORZWK4TFORZWK4TF";
    static final String POLICY = """
            policies:
              - {name: restart, condition: "action == 'restart_service'", risk_tier: T1, required_roles: [devops]}
              - {name: budget, condition: "action == 'raise_budget'", risk_tier: T3, required_approvals: [cfo, engineering_director]}
            """;

    record Run(int status, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @TempDir
    Path dir;
    Magistrate magistrate;
    Path consoleFile;
    String consoleToken;
    String consoleUrl;
    final Map<String, String> tokens = new LinkedHashMap<>();
    final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        for (String id : List.of("alice", "bob", "dave", "erin")) tokens.put(id, ApproverToken.mint());
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - {id: alice, roles: [senior_dev], token_sha256: %s}
                  - {id: bob, roles: [devops], token_sha256: %s}
                  - {id: dave, roles: [cfo], totp_secret: %s, token_sha256: %s}
                  - {id: erin, roles: [engineering_director], totp_secret: %s, token_sha256: %s}
                """.formatted(hash("alice"), hash("bob"), DAVE_SECRET, hash("dave"), ERIN_SECRET, hash("erin")));
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        consoleFile = dir.resolve("run/console.json");
        magistrate = Magistrate.open(MagistrateSettings.builder().policy(dir.resolve("policy.yaml"))
                .approvals("console", Map.of("file", consoleFile.toString(), "port", "0"))
                .approvers(dir.resolve("approvers.yaml")).auditDirectory(dir.resolve("audit")).keysDirectory(dir.resolve("keys"))
                .agentId("ops-agent").build());
        JsonNode conn = JSON.readTree(Files.readString(consoleFile));
        consoleToken = conn.get("token").asText();
        consoleUrl = conn.get("url").asText();
        for (var t : tokens.entrySet()) Files.writeString(dir.resolve(t.getKey() + ".token"), t.getValue() + "\n");
        Files.writeString(dir.resolve("console.token"), consoleToken);
        ApprovalsCommand.environment = env::get;
    }

    @AfterEach
    void stop() {
        ApprovalsCommand.environment = System::getenv;
        magistrate.close();
    }

    String hash(String id) {
        return ApproverToken.sha256Hex(tokens.get(id));
    }

    String tokenFile(String who) {
        return dir.resolve(who + ".token").toString();
    }

    static Run run(String... args) {
        List<String> argv = new ArrayList<>(List.of("approvals"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = MagistrateCli.run(argv.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A vote by {@code who} with their personal token file, through the console file. */
    Run vote(String verb, String intentId, String who, String... more) {
        List<String> argv = new ArrayList<>(List.of(verb, intentId, "--console", consoleFile.toString(), "--personal-token-file", tokenFile(who),
                "--as", who));
        argv.addAll(List.of(more));
        return run(argv.toArray(new String[0]));
    }

    Intent restart(String service) {
        return magistrate.intent("restart_service").arg("service", service).arg("instances", 3).justification("stuck workers").build();
    }

    @Test
    void listAndShowPrintWhatWaitsAndJsonParses() throws Exception {
        Intent intent = restart("web");
        magistrate.governor().authorizeAsync(intent);

        Run list = run("list", "--console", consoleFile.toString());
        assertEquals(0, list.status(), list.err());
        String[] lines = list.out().split("\n");
        assertTrue(lines[0].matches("INTENT +ACTION +TIER +AGENT +VOTES +LEFT +ARGS"), lines[0]);
        assertTrue(lines[1].matches(intent.id() + " +restart_service +T1 +ops-agent +0/1 +1[45]m\\d\\ds +\\{\"instances\":3,\"service\":\"web\"}"), lines[1]);

        env.put(ApprovalsCommand.CONSOLE_FILE_ENV, consoleFile.toString());
        JsonNode listed = JSON.readTree(run("list", "--json").out());
        assertEquals(intent.id(), listed.get(0).get("intent_id").asText(), "the console file comes from the environment too");

        Run show = run("show", intent.id(), "--url", consoleUrl, "--token-file", dir.resolve("console.token").toString());
        assertEquals(0, show.status(), show.err());
        assertTrue(show.out().contains("justification       stuck workers"), show.out());
        assertTrue(show.out().contains("\nrequired roles      devops\n"), show.out());
        assertTrue(show.out().contains("args\n  instances = 3\n  service   = \"web\""), show.out());
        assertTrue(show.out().matches("(?s).*time left +1[45]m\\d\\ds.*"), show.out());
        JsonNode shown = JSON.readTree(run("show", intent.id(), "--json").out());
        assertEquals("T1", shown.get("tier").asText());
        assertFalse(list.all().contains(consoleToken) || show.all().contains(consoleToken), "tokens are never printed");

        Run none = run("show", "01234567-no-such-intent", "--json");
        assertEquals(1, none.status());
        assertTrue(none.err().contains("404: no approval request for intent '01234567-no-such-intent'"), none.err());
        assertEquals("no approval request for intent '01234567-no-such-intent'", JSON.readTree(none.out()).get("error").asText());
    }

    @Test
    void approveWithThePersonalTokenGrantsTheCall() throws Exception {
        Intent intent = restart("web");
        CompletableFuture<Warrant> pending = magistrate.governor().authorizeAsync(intent);
        Run r = vote("approve", intent.id(), "bob", "--comment", "restart is safe");
        assertEquals(0, r.status(), r.err());
        assertEquals("approve counted on " + intent.id() + "; the intent is now granted\n", r.out());
        assertEquals(List.of("bob"), pending.get(5, TimeUnit.SECONDS).approvedBy());
        assertFalse(r.all().contains(tokens.get("bob")));

        Run late = vote("approve", intent.id(), "bob");
        assertEquals(1, late.status(), "a vote after the end is refused: " + late.err());
        assertTrue(late.err().contains("409: the intent is no longer waiting"), late.err());
    }

    @Test
    void theConsoleTokenCannotVote() throws Exception {
        Intent intent = restart("web");
        CompletableFuture<Warrant> pending = magistrate.governor().authorizeAsync(intent);
        Run r = run("approve", intent.id(), "--console", consoleFile.toString(), "--personal-token-file", dir.resolve("console.token").toString(),
                "--as", "bob");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("not counted: the console answered 403: the console file's token only reads"), r.err());
        Run another = run("approve", intent.id(), "--console", consoleFile.toString(), "--personal-token-file", tokenFile("alice"), "--as", "bob");
        assertEquals(1, another.status(), "another approver's token: " + another.err());
        assertFalse(pending.isDone(), "nothing granted");
        assertEquals(1, JSON.readTree(run("list", "--console", consoleFile.toString(), "--json").out()).size());
        assertFalse(r.all().contains(consoleToken));
    }

    @Test
    void denyWithAReasonReachesTheCaller() throws Exception {
        Intent intent = restart("db");
        CompletableFuture<Warrant> pending = magistrate.governor().authorizeAsync(intent);
        assertEquals(2, vote("deny", intent.id(), "bob").status(), "deny needs --reason");
        env.put(ApprovalsCommand.TOKEN_ENV, tokens.get("bob"));
        Run r = run("deny", intent.id(), "--console", consoleFile.toString(), "--as", "bob", "--reason", "the database restarts only in the window");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("the intent is now denied"), r.out());
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        DeniedException denied = assertInstanceOf(DeniedException.class, e.getCause());
        assertTrue(denied.reason().contains("the database restarts only in the window"), denied.getMessage());
    }

    @Test
    void t3ApprovalsCarryTotpCodesFromTheOptionOrStandardInput() throws Exception {
        Intent intent = magistrate.intent("raise_budget").arg("amount", 47000).build();
        CompletableFuture<Warrant> pending = magistrate.governor().authorizeAsync(intent);
        Run noCode = vote("approve", intent.id(), "dave");
        assertEquals(1, noCode.status(), noCode.err());
        assertTrue(noCode.err().contains("TOTP"), noCode.err());
        assertEquals(2, vote("approve", intent.id(), "dave", "--totp", "12345").status(), "a code is 6 digits");

        String daveCode = Totp.codeAt(Totp.decodeBase32(DAVE_SECRET), Instant.now());
        Run dave = vote("approve", intent.id(), "dave", "--totp", daveCode);
        assertEquals(0, dave.status(), dave.err());
        assertTrue(dave.out().endsWith("now pending\n"), dave.out());

        String erinCode = Totp.codeAt(Totp.decodeBase32(ERIN_SECRET), Instant.now());
        Run erin = withStdin(erinCode + "\n", () -> vote("approve", intent.id(), "erin", "--totp-stdin", "--json"));
        assertEquals(0, erin.status(), erin.err());
        assertEquals("granted", JSON.readTree(erin.out()).get("state").asText());
        assertEquals(List.of("dave", "erin"), pending.get(5, TimeUnit.SECONDS).approvedBy());
        assertFalse(dave.all().contains(daveCode) || erin.all().contains(erinCode), "codes are never printed");
    }

    @Test
    void anUnreachableConsoleExitsWithThree() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        Run list = run("list", "--url", url, "--token-file", dir.resolve("console.token").toString());
        assertEquals(3, list.status(), list.err());
        assertTrue(list.err().contains("cannot reach the approval console at " + url), list.err());
        Run vote = run("approve", "some-intent", "--url", url, "--personal-token-file", tokenFile("bob"));
        assertEquals(3, vote.status(), vote.err());
    }

    @Test
    void badInputExitsWithTwoAndNamesWhatIsWrong() throws Exception {
        Path missing = dir.resolve("nowhere.token");
        Run noTokenFile = run("approve", "x", "--console", consoleFile.toString(), "--personal-token-file", missing.toString());
        assertEquals(2, noTokenFile.status());
        assertTrue(noTokenFile.err().contains("--personal-token-file: no such file " + missing), noTokenFile.err());

        Run noToken = run("approve", "x", "--console", consoleFile.toString());
        assertEquals(2, noToken.status());
        assertTrue(noToken.err().contains(ApprovalsCommand.TOKEN_ENV), noToken.err());

        String secret = tokens.get("bob");
        for (String[] args : List.of(new String[]{"approve", "x", "--personal-token", secret}, new String[]{"approve", "x", "--token=" + secret})) {
            Run inArgs = run(args);
            assertEquals(2, inArgs.status());
            assertTrue(inArgs.err().contains("never taken from the command line"), inArgs.err());
            assertFalse(inArgs.all().contains(secret), "the refused token is not echoed");
        }

        Run noConsole = run("list");
        assertEquals(2, noConsole.status());
        assertTrue(noConsole.err().contains("--console FILE") && noConsole.err().contains(ApprovalsCommand.CONSOLE_FILE_ENV), noConsole.err());
        assertTrue(run("list", "--console", dir.resolve("none.json").toString()).err().contains("--console: no such file"));
        Run notAConsoleFile = run("list", "--console", tokenFile("bob"));
        assertEquals(2, notAConsoleFile.status());
        assertFalse(notAConsoleFile.all().contains(secret), "a parse error does not quote the file");
        assertEquals(2, run("list", "--url", "file:///etc/passwd", "--token-file", tokenFile("bob")).status());
        assertEquals(2, run("list", "--url", consoleUrl).status(), "reading needs the console token");
        assertEquals(2, run("show", "../../etc", "--console", consoleFile.toString()).status());
        assertEquals(2, run("edit", "x", "--console", consoleFile.toString(), "--personal-token-file", tokenFile("bob")).status(), "--set is required");
        assertEquals(2, run("edit", "x", "--set", "instances", "--console", consoleFile.toString(), "--personal-token-file", tokenFile("bob")).status());
        assertEquals(2, run("ask", "x", "--console", consoleFile.toString(), "--personal-token-file", tokenFile("bob")).status(), "--question is required");
        assertEquals(2, run("frobnicate").status());
        assertEquals(2, run().status());
        assertEquals(0, run("approve", "--help").status());
        assertTrue(run("approve", "--help").out().contains("3  the console unreachable"));
    }

    @Test
    void aPersonalTokenDoesNotTravelInClearTextToAnotherHost() {
        String[] vote = {"approve", "x", "--url", "http://approvals.invalid:8080", "--personal-token-file", tokenFile("bob")};
        Run refused = run(vote);
        assertEquals(2, refused.status());
        assertTrue(refused.err().contains("refusing to send your personal token over plain http to approvals.invalid"), refused.err());
        List<String> insecure = new ArrayList<>(List.of(vote));
        insecure.add("--insecure-http");
        Run warned = run(insecure.toArray(new String[0]));
        assertTrue(warned.err().contains("warning: your personal token goes over plain http"), warned.err());
        assertEquals(3, warned.status(), "the name does not resolve: " + warned.err());
    }

    /** A loopback server standing in for the console: records each request and answers with the next canned reply. */
    static final class RecordingConsole implements AutoCloseable {
        record Received(String method, String path, String authorization, JsonNode body) {
        }

        final HttpServer server;
        final List<Received> received = new ArrayList<>();
        int status = 200;
        String reply = "{\"accepted\":true,\"state\":\"pending\"}";

        RecordingConsole() throws Exception {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", x -> {
                byte[] body = x.getRequestBody().readAllBytes();
                synchronized (received) {
                    received.add(new Received(x.getRequestMethod(), x.getRequestURI().getPath(), x.getRequestHeaders().getFirst("Authorization"),
                            body.length == 0 ? null : JSON.readTree(body)));
                }
                byte[] out = reply.getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "application/json");
                x.sendResponseHeaders(status, out.length);
                x.getResponseBody().write(out);
                x.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        Received last() {
            synchronized (received) {
                return received.get(received.size() - 1);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void editSendsTypedValuesAndAskSendsTheQuestion() throws Exception {
        try (RecordingConsole c = new RecordingConsole()) {
            env.put(ApprovalsCommand.TOKEN_ENV, tokens.get("bob"));
            Run edit = run("edit", "intent-1", "--url", c.url(), "--set", "instances=25", "--set", "ratio=0.5", "--set", "dry_run=true",
                    "--set", "region=eu-west-1", "--comment", "25 is enough", "--totp", "123456");
            assertEquals(0, edit.status(), edit.err());
            RecordingConsole.Received r = c.last();
            assertEquals("POST /api/requests/intent-1/votes", r.method() + " " + r.path());
            assertEquals("Bearer " + tokens.get("bob"), r.authorization());
            assertEquals(JSON.readTree("""
                    {"verdict": "approve", "comment": "25 is enough", "totp": "123456",
                     "edits": {"instances": 25, "ratio": 0.5, "dry_run": true, "region": "eu-west-1"}}"""), r.body());
            assertTrue(r.body().get("edits").get("ratio").isBigDecimal() || r.body().get("edits").get("ratio").isDouble());
            assertNull(r.body().get("approver"), "without --as the console derives the approver from the token");
            assertFalse(edit.all().contains("123456"), "the code is not printed");

            Run ask = run("ask", "intent-1", "--url", c.url(), "--personal-token-file", tokenFile("alice"), "--as", "alice",
                    "--question", "why 25 and not 10?");
            assertEquals(0, ask.status(), ask.err());
            assertEquals(JSON.readTree("{\"verdict\": \"more_info\", \"comment\": \"why 25 and not 10?\", \"approver\": \"alice\"}"), c.last().body());
            assertEquals("Bearer " + tokens.get("alice"), c.last().authorization(), "the file wins over the environment");

            assertEquals(2, run("edit", "intent-1", "--url", c.url(), "--set", "a=1", "--set", "a=2").status(), "an argument edited twice");
        }
    }

    @Test
    void theConsolesRefusalsArePrintedAsTheConsoleWordsThem() throws Exception {
        try (RecordingConsole c = new RecordingConsole()) {
            env.put(ApprovalsCommand.TOKEN_ENV, tokens.get("bob"));
            c.status = 400;
            c.reply = "{\"error\":\"verdict is 'approve' or 'deny', not 'more_info'\"}";
            Run old = run("ask", "i", "--url", c.url(), "--question", "why?");
            assertEquals(2, old.status());
            assertEquals("error: more_info on i not counted: the console answered 400: verdict is 'approve' or 'deny', not 'more_info'\n", old.err());

            c.status = 200;
            c.reply = "{\"accepted\":false,\"state\":\"pending\",\"rejection\":\"approver 'bob' already voted\"}";
            Run again = run("approve", "i", "--url", c.url());
            assertEquals(1, again.status());
            assertTrue(again.err().contains("not counted: approver 'bob' already voted (the intent is pending)"), again.err());

            c.status = 429;
            c.reply = "{\"accepted\":false,\"state\":\"pending\",\"rejection\":\"TOTP locked for 60 s\"}";
            assertEquals(1, run("approve", "i", "--url", c.url(), "--totp", "000000").status());

            c.status = 502;
            c.reply = "<html>bad gateway\u001b[31m</html>";
            Run proxy = run("approve", "i", "--url", c.url());
            assertEquals(3, proxy.status());
            assertTrue(proxy.err().contains("502: <html>bad gateway\\u001b[31m</html>"), "control characters are shown, not obeyed: " + proxy.err());
        }
    }

    static Run withStdin(String input, java.util.function.Supplier<Run> body) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return body.get();
        } finally {
            System.setIn(saved);
        }
    }
}
