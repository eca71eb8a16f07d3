package dev.magistrate.agent;

import com.sun.net.httpserver.HttpServer;
import example.app.TelemetryTools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Telemetry under the agent, in real child JVMs: the engine sits in the agent's own class loader, and its spans must reach
 * the OpenTelemetry API of the application (its SDK, or the OpenTelemetry Java agent serving it), as children of the
 * application's span. Without the API on the class path, nothing changes.
 */
class TelemetryIT {

    static final String POLICY = """
            policies:
              - name: reads
                condition: "action == 'health_check'"
                risk_tier: T0
              - name: no drops
                condition: "action == 'drop_table'"
                effect: deny
                reason: "tables are never dropped by an agent"
            """;

    /** A span as the application's exporter printed it, or as OTLP carried it. */
    record ExportedSpan(String name, String traceId, String spanId, String parentId, String scope, Map<String, String> attributes) {
    }

    private static void configure(Path dir, String extra) throws IOException {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n" + extra);
    }

    /** The OpenTelemetry jars this test runs with (from its own class path), those whose names start with one of {@code artifacts}. */
    private static List<String> openTelemetryJars(String... artifacts) {
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String file = Path.of(entry).getFileName().toString();
            if (!entry.contains("io" + File.separator + "opentelemetry" + File.separator)) continue;
            for (String a : artifacts) {
                if (file.startsWith(a + "-1.")) jars.add(entry);
            }
        }
        assertFalse(jars.isEmpty(), "no OpenTelemetry jars on the test class path");
        return jars;
    }

    private static final String[] SDK = {"opentelemetry-api", "opentelemetry-context", "opentelemetry-common", "opentelemetry-sdk",
            "opentelemetry-sdk-common", "opentelemetry-sdk-trace", "opentelemetry-sdk-metrics", "opentelemetry-sdk-logs", "opentelemetry-sdk-testing"};

    /** SPAN lines: {@code SPAN name trace=.. id=.. parent=.. scope=.. attrs={k=v, ...} events=[...]}. */
    private static List<ExportedSpan> printedSpans(String out) {
        List<ExportedSpan> spans = new ArrayList<>();
        for (String line : out.lines().filter(l -> l.startsWith("SPAN ")).toList()) {
            String name = line.substring(5, line.indexOf(" trace="));
            String attrs = line.substring(line.indexOf(" attrs={") + 8, line.indexOf("} events="));
            Map<String, String> map = new LinkedHashMap<>();
            for (String kv : attrs.split(", ")) {
                if (kv.indexOf('=') > 0) map.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            spans.add(new ExportedSpan(name, field(line, "trace"), field(line, "id"), field(line, "parent"), field(line, "scope"), map));
        }
        return spans;
    }

    private static String field(String line, String name) {
        int at = line.indexOf(" " + name + "=") + name.length() + 2;
        return line.substring(at, line.indexOf(' ', at));
    }

    private static List<ExportedSpan> named(List<ExportedSpan> spans, String name) {
        return spans.stream().filter(s -> s.name().equals(name)).toList();
    }

    private static ExportedSpan callOf(List<ExportedSpan> spans, String action) {
        List<ExportedSpan> calls = named(spans, "magistrate.call").stream().filter(s -> action.equals(s.attributes().get("magistrate.action"))).toList();
        assertEquals(1, calls.size(), "one magistrate.call span for " + action + " among " + spans);
        return calls.get(0);
    }

    /** The application's span, as it printed it: {@code APP-SPAN traceId spanId}. */
    private static String[] appSpan(AgentRun.Result r) {
        String line = r.line("APP-SPAN ");
        assertTrue(line != null, r::toString);
        return line.substring("APP-SPAN ".length()).split(" ");
    }

    /** Both calls are children of the application's span; the denied one names its stage and rule; no argument value. */
    private static void assertGovernedCallsUnder(String[] app, List<ExportedSpan> spans, AgentRun.Result r) {
        ExportedSpan t0 = callOf(spans, "health_check"), denied = callOf(spans, "drop_table");
        for (ExportedSpan call : List.of(t0, denied)) {
            assertEquals(app[0], call.traceId(), "in the application's trace: " + call);
            assertEquals(app[1], call.parentId(), "a child of the application's span: " + call);
            assertEquals("dev.magistrate", call.scope());
            assertTrue(call.attributes().get("magistrate.intent.id").matches("[0-9a-z-]{10,}"), call::toString);
        }
        assertEquals("T0", t0.attributes().get("magistrate.tier"));
        assertEquals("completed", t0.attributes().get("magistrate.outcome"));
        assertEquals("denied", denied.attributes().get("magistrate.outcome"));
        assertEquals("policy", denied.attributes().get("magistrate.denial.stage"));
        assertEquals("no drops", denied.attributes().get("magistrate.denial.rule"));
        for (String child : List.of("magistrate.decision", "magistrate.execution")) {
            ExportedSpan c = named(spans, child).stream().filter(s -> s.parentId().equals(t0.spanId())).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + child + " under the T0 call: " + spans));
            assertEquals(app[0], c.traceId());
        }
        assertTrue(named(spans, "magistrate.execution").stream().noneMatch(s -> s.parentId().equals(denied.spanId())), "the denied call did not run");
        assertEquals("OK healthy " + TelemetryTools.SECRET, r.outcome("t0"));
        assertEquals("DENIED", r.outcome("denied"), "governance still decides");
        assertFalse(spans.toString().contains(TelemetryTools.SECRET), "an argument value was exported: " + spans);
    }

    @Test
    void spansAndMetricsReachTheApplicationsOwnSdk(@TempDir Path dir) throws Exception {
        applicationSdk(dir, AgentRun.java());
    }

    @Test
    void theSameOnTheTemurin25Jdk(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        applicationSdk(dir, AgentRun.JDK25.toString());
    }

    private void applicationSdk(Path dir, String javaBin) throws Exception {
        configure(dir, "");
        AgentRun.Result r = AgentRun.withAgent(javaBin, dir, AgentRun.appClasspath(openTelemetryJars(SDK).toArray(String[]::new)),
                "example.app.TelemetryApp", "sdk");
        assertEquals(0, r.exit(), r::toString);
        // The engine started in premain, before the application set its SDK as the global instance: that set succeeded.
        assertGovernedCallsUnder(appSpan(r), printedSpans(r.out()), r);
        List<String> metrics = r.out().lines().filter(l -> l.startsWith("METRIC ")).toList();
        assertTrue(metrics.contains("METRIC magistrate.decisions {decision} {action=health_check, effect=allow, tier=T0} value=1"), metrics::toString);
        assertTrue(metrics.contains("METRIC magistrate.decisions {decision} {action=drop_table, effect=deny, tier=T3} value=1"), metrics::toString);
        assertTrue(metrics.contains("METRIC magistrate.denials {denial} {action=drop_table, stage=policy} value=1"), metrics::toString);
        assertTrue(metrics.contains("METRIC magistrate.calls s {action=health_check, outcome=completed} count=1"), metrics::toString);
        // The T0 call's submission is in its one CALL_GRANTED append; the denied call's is its own entry.
        assertTrue(metrics.contains("METRIC magistrate.audit.append.duration s {event=call_granted} count=1"), metrics::toString);
        assertTrue(metrics.contains("METRIC magistrate.audit.append.duration s {event=intent_submitted} count=1"), metrics::toString);
        assertFalse(String.join("\n", metrics).contains(TelemetryTools.SECRET), metrics::toString);
    }

    @Test
    void telemetryOffLeavesTheApplicationsSpansAlone(@TempDir Path dir) throws Exception {
        configure(dir, "telemetry: off\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(openTelemetryJars(SDK).toArray(String[]::new)),
                "example.app.TelemetryApp", "sdk");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(List.of("app request"), printedSpans(r.out()).stream().map(ExportedSpan::name).toList(), r::toString);
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("METRIC magistrate.")), r::toString);
        assertEquals("DENIED", r.outcome("denied"));
    }

    @Test
    void withoutOpenTelemetryOnTheClassPathNothingChanges(@TempDir Path dir) throws Exception {
        configure(dir, "");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), "example.app.TelemetryTools");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("OK healthy " + TelemetryTools.SECRET, r.outcome("t0"));
        assertEquals("DENIED", r.outcome("denied"));
        assertFalse(r.err().toLowerCase().contains("opentelemetry"), r::toString);
        // The JVM's own "WARNING: ..." lines (JDK 24+: sun.misc.Unsafe, restricted native access) come with or without
        // OpenTelemetry; what must not appear is a warning or error of ours.
        assertTrue(r.err().lines().filter(l -> !l.startsWith("WARNING: "))
                .noneMatch(l -> l.contains("ERROR") || l.contains("WARN") || l.contains("Exception")), r::toString);
    }

    /**
     * Both agents in one JVM: the OpenTelemetry Java agent serves the application's API and exports over OTLP/HTTP to a server
     * this test runs on loopback; Magistrate's spans arrive there, children of the application's span.
     */
    @Test
    void sideBySideWithTheOpenTelemetryJavaAgent(@TempDir Path dir) throws Exception {
        Path otelAgent = Path.of(System.getProperty("otel.javaagent.jar", "target/otel-javaagent/opentelemetry-javaagent.jar"));
        assertTrue(Files.isRegularFile(otelAgent), "the OpenTelemetry Java agent is copied to " + otelAgent + " by the build");
        configure(dir, "");
        List<byte[]> traces = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().equals("/v1/traces")) traces.add(body);
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1); // an empty Export*ServiceResponse: everything accepted
            exchange.close();
        });
        collector.start();
        try {
            String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
            AgentRun.Result r = AgentRun.run(AgentRun.java(), dir, List.of(
                            "-javaagent:" + otelAgent.toAbsolutePath(),
                            "-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"),
                            "-Dotel.service.name=magistrate-telemetry-it",
                            "-Dotel.traces.exporter=otlp", "-Dotel.exporter.otlp.protocol=http/protobuf", "-Dotel.exporter.otlp.endpoint=" + endpoint,
                            "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none", "-Dotel.bsp.schedule.delay=200"),
                    AgentRun.appClasspath(openTelemetryJars("opentelemetry-api", "opentelemetry-context", "opentelemetry-common").toArray(String[]::new)),
                    "example.app.TelemetryApp", "api");
            assertEquals(0, r.exit(), r::toString);
            List<ExportedSpan> spans = new ArrayList<>();
            for (byte[] request : traces) spans.addAll(Otlp.spans(request));
            String[] app = appSpan(r);
            ExportedSpan appSpan = named(spans, "app request").stream().findFirst()
                    .orElseThrow(() -> new AssertionError("the application's span did not arrive over OTLP: " + spans + "\n" + r));
            assertEquals(app[1], appSpan.spanId());
            assertGovernedCallsUnder(app, spans, r);
        } finally {
            collector.stop(0);
        }
    }

    /** Just enough protobuf to read spans out of an OTLP ExportTraceServiceRequest (opentelemetry-proto, trace/v1). */
    static final class Otlp {
        private final byte[] b;
        private int at;
        private final int end;

        private Otlp(byte[] b, int from, int end) {
            this.b = b;
            this.at = from;
            this.end = end;
        }

        /** A field: its number, and its bytes (length-delimited) or value (varint, fixed). */
        private record Field(int number, byte[] bytes, long value) {
            String text() {
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        private static List<Field> fields(byte[] message) {
            Otlp in = new Otlp(message, 0, message.length);
            List<Field> out = new ArrayList<>();
            while (in.at < in.end) {
                long key = in.varint();
                int number = (int) (key >>> 3), wire = (int) (key & 7);
                switch (wire) {
                    case 0 -> out.add(new Field(number, null, in.varint()));
                    case 1 -> out.add(new Field(number, null, in.fixed(8)));
                    case 5 -> out.add(new Field(number, null, in.fixed(4)));
                    case 2 -> {
                        int len = (int) in.varint();
                        byte[] bytes = new byte[len];
                        System.arraycopy(in.b, in.at, bytes, 0, len);
                        in.at += len;
                        out.add(new Field(number, bytes, 0));
                    }
                    default -> throw new IllegalArgumentException("wire type " + wire);
                }
            }
            return out;
        }

        private long varint() {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b[at++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) return v;
            }
        }

        private long fixed(int n) {
            long v = 0;
            for (int i = 0; i < n; i++) v |= (long) (b[at++] & 0xff) << (8 * i);
            return v;
        }

        static List<ExportedSpan> spans(byte[] request) {
            List<ExportedSpan> out = new ArrayList<>();
            for (Field resourceSpans : fields(request)) {
                if (resourceSpans.number() != 1) continue;
                for (Field scopeSpans : fields(resourceSpans.bytes())) {
                    if (scopeSpans.number() != 2) continue;
                    String scope = "";
                    for (Field f : fields(scopeSpans.bytes())) {
                        if (f.number() == 1) scope = fields(f.bytes()).stream().filter(x -> x.number() == 1).map(Field::text).findFirst().orElse("");
                        if (f.number() == 2) out.add(span(f.bytes(), scope));
                    }
                }
            }
            return out;
        }

        private static ExportedSpan span(byte[] span, String scope) {
            HexFormat hex = HexFormat.of();
            String trace = "", id = "", parent = "0000000000000000", name = "";
            Map<String, String> attributes = new LinkedHashMap<>();
            for (Field f : fields(span)) {
                switch (f.number()) {
                    case 1 -> trace = hex.formatHex(f.bytes());
                    case 2 -> id = hex.formatHex(f.bytes());
                    case 4 -> parent = f.bytes().length == 0 ? parent : hex.formatHex(f.bytes());
                    case 5 -> name = f.text();
                    case 9 -> {
                        String key = null, value = null;
                        for (Field kv : fields(f.bytes())) {
                            if (kv.number() == 1) key = kv.text();
                            if (kv.number() == 2) value = anyValue(kv.bytes());
                        }
                        attributes.put(key, value);
                    }
                    default -> {
                    }
                }
            }
            return new ExportedSpan(name, trace, id, parent, scope, attributes);
        }

        /** AnyValue: string (1), bool (2), int (3); arrays and the rest as their raw text, enough to search for secrets. */
        private static String anyValue(byte[] value) {
            for (Field f : fields(value)) {
                switch (f.number()) {
                    case 1 -> { return f.text(); }
                    case 2 -> { return String.valueOf(f.value() != 0); }
                    case 3 -> { return String.valueOf(f.value()); }
                    default -> {
                        if (f.bytes() != null) {
                            ByteArrayOutputStream raw = new ByteArrayOutputStream();
                            raw.writeBytes(f.bytes());
                            return raw.toString(StandardCharsets.UTF_8);
                        }
                    }
                }
            }
            return "";
        }
    }
}
