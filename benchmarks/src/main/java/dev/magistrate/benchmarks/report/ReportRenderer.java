package dev.magistrate.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns the JMH JSON files of one {@code run.sh} run into {@code results.md} (a table per suite,
 * the targets of issue 7 with met/missed, the machine) and {@code results.png} (a bar chart, log
 * scale, one group per suite). Plain Java: java.awt in headless mode, no plotting tool needed.
 *
 * <p>{@code java -cp benchmarks.jar dev.magistrate.benchmarks.report.ReportRenderer RESULTS_DIR}
 */
public final class ReportRenderer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportRenderer() {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of(args.length > 0 ? args[0] : "benchmarks/results");
        List<Row> rows = read(dir);
        if (rows.isEmpty()) throw new IllegalStateException("no JMH results (*.jmh.json) in " + dir);
        String machine = Files.exists(dir.resolve("machine.txt")) ? Files.readString(dir.resolve("machine.txt")).strip() : "(machine not recorded)";
        List<JsonNode> suspension = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().matches("suspension.*\\.json")).sorted().toList()) {
                suspension.add(JSON.readTree(p.toFile()));
            }
        }
        JsonNode startup = Files.exists(dir.resolve("startup.json")) ? JSON.readTree(dir.resolve("startup.json").toFile()) : null;
        Files.writeString(dir.resolve("results.md"), markdown(rows, machine, suspension, startup));
        chart(rows, dir.resolve("results.png"), machine.lines().findFirst().orElse(""));
        System.out.println("wrote " + dir.resolve("results.md") + " and " + dir.resolve("results.png"));
    }

    // ---------------------------------------------------------------- reading

    static List<Row> read(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".jmh.json")).sorted().toList();
        }
        List<Row> rows = new ArrayList<>();
        for (Path f : files) {
            for (JsonNode b : JSON.readTree(f.toFile())) {
                String full = b.get("benchmark").asText();
                String[] parts = full.split("\\.");
                String suite = parts[parts.length - 2];
                String method = parts[parts.length - 1];
                StringBuilder params = new StringBuilder();
                JsonNode p = b.get("params");
                if (p != null) {
                    for (Map.Entry<String, JsonNode> e : p.properties()) {
                        if (params.length() > 0) params.append(", ");
                        params.append(e.getKey()).append('=').append(e.getValue().asText());
                    }
                }
                String mode = b.get("mode").asText();
                int threads = b.get("threads").asInt();
                JsonNode secondary = b.get("secondaryMetrics");
                // A @Group benchmark reports each of its methods as a secondary metric; profilers' names start
                // with '·' and sampled percentiles are named like 'p0.50'.
                boolean group = secondary != null && secondary.properties().stream().anyMatch(e -> groupMember(e.getKey()));
                if (group) {
                    for (Map.Entry<String, JsonNode> e : secondary.properties()) {
                        if (!groupMember(e.getKey())) continue;
                        rows.add(row(suite, method + ":" + e.getKey(), params.toString(), mode, 1, e.getValue()));
                    }
                } else {
                    rows.add(row(suite, method, params.toString(), mode, threads, b.get("primaryMetric")));
                }
            }
        }
        return rows;
    }

    private static boolean groupMember(String secondaryMetric) {
        return !secondaryMetric.startsWith("·") && !secondaryMetric.contains(":") && !secondaryMetric.matches("p[0-9.]+");
    }

    private static Row row(String suite, String method, String params, String mode, int threads, JsonNode metric) {
        double factor = nanosPer(metric.get("scoreUnit").asText());
        double mean = metric.get("score").asDouble() * factor;
        JsonNode pct = metric.get("scorePercentiles");
        double p50 = Double.NaN, p99 = Double.NaN, max = Double.NaN;
        long samples = 0;
        if ("sample".equals(mode) && pct != null) {
            p50 = pct.get("50.0").asDouble() * factor;
            p99 = pct.get("99.0").asDouble() * factor;
            max = pct.get("100.0").asDouble() * factor;
        }
        JsonNode raw = metric.get("rawDataHistogram");
        if (raw != null) {
            for (JsonNode fork : raw) for (JsonNode iteration : fork) for (JsonNode bin : iteration) samples += bin.get(1).asLong();
        }
        return new Row(suite, method, params, mode, Double.isNaN(p50) ? mean : p50, mean, p99, max, threads, samples);
    }

    private static double nanosPer(String unit) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException("unexpected JMH unit " + unit + " (run.sh asks for time per operation)");
        };
    }

    // ---------------------------------------------------------------- markdown

    static String markdown(List<Row> rows, String machine, List<JsonNode> suspension, JsonNode startup) {
        StringBuilder md = new StringBuilder();
        md.append("Machine: ").append(machine.replace("\n", "; ")).append("\n\n");
        md.append(targets(rows, suspension, startup)).append('\n');
        Map<String, List<Row>> bySuite = new LinkedHashMap<>();
        for (Row r : rows) bySuite.computeIfAbsent(r.suite(), k -> new ArrayList<>()).add(r);
        md.append("| suite | benchmark | median (p50) | p99 | mean | mode |\n|---|---|---:|---:|---:|---|\n");
        for (List<Row> suite : bySuite.values()) {
            for (Row r : suite) {
                md.append("| ").append(r.suite()).append(" | ").append(r.label().replace("|", "\\|"))
                        .append(r.threads() > 1 ? " (" + r.threads() + " threads)" : "")
                        .append(" | ").append(r.sampled() ? time(r.centralNs()) : "–")
                        .append(" | ").append(r.sampled() ? time(r.p99Ns()) : "–")
                        .append(" | ").append(time(r.meanNs()))
                        .append(" | ").append(modeName(r.mode())).append(" |\n");
            }
        }
        suspension.forEach(s -> md.append("\nSuspension (").append(s.get("calls").asInt()).append(" calls waiting for approval at once, ")
                .append(s.get("threads").asText()).append(" threads, JDK ").append(s.get("jdk").asText()).append("): ")
                .append(s.get("passed").asBoolean() ? "passed" : "FAILED").append(", ").append(s.get("granted").asInt()).append(" approved and granted, ")
                .append(s.get("timedOut").asInt()).append(" timed out and denied, ").append(s.get("wrong").asInt()).append(" wrong; all waiting after ")
                .append(s.get("suspendMillis").asLong()).append(" ms; ").append(bytes(s.get("heapBytesPerCall").asLong())).append(" of heap and ")
                .append(bytes(s.get("rssBytesPerCall").asLong())).append(" of resident memory per waiting call.\n"));
        if (startup != null) md.append('\n').append(startup(startup));
        return md.toString();
    }

    /** The start-up suite: what the agent adds to each variant of the trivial application, and the split the agent logs. */
    static String startup(JsonNode startup) {
        StringBuilder md = new StringBuilder("Start-up added by the agent (JDK ").append(startup.get("jdk").asText()).append(", ")
                .append(startup.get("runs").asInt()).append(" starts with and without it, alternating; the agent's split is the median of its own log line):\n\n")
                .append("| application | added, median | added, p90 | without agent | with agent | first start | agent: unpack | instrumentation | engine |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode v : startup.get("variants")) {
            md.append("| ").append(v.get("name").asText().equals("governed") ? "one governed call" : "a main that returns")
                    .append(" | ").append(v.get("addedMedianMillis").asLong()).append(" ms | ").append(v.get("addedP90Millis").asLong())
                    .append(" ms | ").append(v.get("withoutMedianMillis").asLong()).append(" ms | ").append(v.get("withMedianMillis").asLong())
                    .append(" ms | ").append(v.get("coldWithMillis").asLong()).append(" ms | ").append(agentMedian(v, "unpackMillis"))
                    .append(" ms | ").append(agentMedian(v, "instrumentationMillis")).append(" ms | ").append(engine(agentMedian(v, "engineMillis"))).append(" |\n");
        }
        return md.toString();
    }

    /** The median of the starts that logged the field; -1 when none did (the engine's part, when every start was abandoned at exit). */
    private static long agentMedian(JsonNode variant, String field) {
        long[] values = new long[variant.get("agent").size()];
        int n = 0;
        for (JsonNode start : variant.get("agent")) if (start.get(field).asLong() >= 0) values[n++] = start.get(field).asLong();
        values = Arrays.copyOf(values, n);
        Arrays.sort(values);
        return n == 0 ? -1 : values[(n - 1) / 2];
    }

    private static String engine(long millis) {
        return millis < 0 ? "not started (no governed call; abandoned at exit)" : millis + " ms";
    }

    private static String modeName(String mode) {
        return switch (mode) {
            case "avgt" -> "average";
            case "sample" -> "sampled per call";
            case "ss" -> "single shot";
            case "thrpt" -> "throughput";
            default -> mode;
        };
    }

    static String time(double ns) {
        if (Double.isNaN(ns)) return "–";
        if (ns < 1e3) return String.format(Locale.ROOT, "%.1f ns", ns);
        if (ns < 1e6) return String.format(Locale.ROOT, "%.2f µs", ns / 1e3);
        if (ns < 1e9) return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
    }

    private static String bytes(long b) {
        if (b < 0) return "unknown";
        if (b < 10 * 1024) return b + " B";
        return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }

    private static Optional<Row> find(List<Row> rows, String suite, String method, String params) {
        return rows.stream().filter(r -> r.suite().equals(suite) && r.method().equals(method) && r.params().equals(params)).findFirst();
    }

    /** The targets of issue 7, each as measured in this run, with met or missed. */
    static String targets(List<Row> rows, List<JsonNode> suspension, JsonNode startup) {
        StringBuilder t = new StringBuilder("| target | measured | |\n|---|---|---|\n");
        Optional<Row> m50 = find(rows, "DecisionBenchmark", "decide", "engine=magistrate, rules=50");
        m50.ifPresent(m -> {
            line(t, "decision, 50 rules, ≤ 50 ns", time(m.meanNs()) + " mean", m.meanNs() <= 50);
            for (String peer : List.of("cedar", "jcasbin", "sapl")) {
                find(rows, "DecisionBenchmark", "decide", "engine=" + peer + ", rules=50").ifPresent(p ->
                        line(t, "≥ 10× faster than " + peer, ratio(p.meanNs() / m.meanNs()), p.meanNs() / m.meanNs() >= 10));
            }
            for (String peer : List.of("jexl", "mvel")) {
                find(rows, "DecisionBenchmark", "decide", "engine=" + peer + ", rules=50").ifPresent(p ->
                        line(t, "≥ 5× faster than " + peer, ratio(p.meanNs() / m.meanNs()), p.meanNs() / m.meanNs() >= 5));
            }
        });
        Optional<Row> m10 = find(rows, "DecisionBenchmark", "decide", "engine=magistrate, rules=10");
        Optional<Row> m1000 = find(rows, "DecisionBenchmark", "decide", "engine=magistrate, rules=1000");
        if (m10.isPresent() && m1000.isPresent()) {
            double growth = m1000.get().meanNs() / m10.get().meanNs();
            line(t, "sub-linear in rules (10 → 1,000 rules is 100×)", ratio(growth) + " slower", growth < 100);
        }
        // Issue 13: what one windowed rule adds to the same 50-rule decision on the engine's path.
        find(rows, "WindowBenchmark", "decide", "policy=plain").ifPresent(p -> find(rows, "WindowBenchmark", "decide", "policy=windowed")
                .ifPresent(w -> t.append("| a windowed rule's cost (`sum(args.amount, 1h)` on 50 rules, `Governor.decide`) | ")
                        .append(time(w.meanNs() - p.meanNs())).append(" more (").append(time(p.meanNs())).append(" without, ")
                        .append(time(w.meanNs())).append(" with) | measured |\n")));
        Optional<Row> gov = find(rows, "GovernedCallBenchmark", "governedCall", "");
        Optional<Row> plain = find(rows, "GovernedCallBenchmark", "plainCall", "");
        if (gov.isPresent() && plain.isPresent()) {
            double p50 = gov.get().centralNs() - plain.get().centralNs();
            double p99 = gov.get().p99Ns() - plain.get().p99Ns();
            // Issue 14's targets: the floor is one append (~0.33 µs) plus the decision.
            line(t, "governed T0 call overhead ≤ 2 µs median", time(p50), p50 <= 2_000);
            line(t, "governed T0 call overhead ≤ 10 µs p99", time(p99), p99 <= 10_000);
        }
        find(rows, "GovernedThreadsBenchmark", "threads1", "").ifPresent(one -> {
            double single = 1e9 / one.meanNs();
            for (int n : new int[] {2, 8, 64}) {
                find(rows, "GovernedThreadsBenchmark", "threads" + n, "").ifPresent(r -> {
                    double total = r.threads() * 1e9 / r.meanNs();
                    line(t, "governed T0 calls from " + n + " threads ≥ 1 thread's throughput", String.format(Locale.ROOT,
                            "%,.0f /s (%s of 1 thread's %,.0f /s)", total, ratio(total / single), single), total >= single);
                });
            }
        });
        Optional<Row> chained = find(rows, "AuditAppendBenchmark", "chained", "");
        Optional<Row> raw = find(rows, "AuditAppendBenchmark", "rawChronicle", "");
        chained.ifPresent(c -> {
            double perSecond = 1e9 / c.meanNs();
            line(t, "≥ 1,000,000 chained entries/s from one thread", String.format(Locale.ROOT, "%,.0f /s (from the mean; %,.0f /s from the median)",
                    perSecond, 1e9 / c.centralNs()), perSecond >= 1_000_000);
            raw.ifPresent(r -> {
                line(t, "chained append ≤ 1.6× raw Chronicle (median)", ratio(c.centralNs() / r.centralNs()), c.centralNs() / r.centralNs() <= 1.6);
                line(t, "chained append ≤ 1.6× raw Chronicle (mean)", ratio(c.meanNs() / r.meanNs()), c.meanNs() / r.meanNs() <= 1.6);
            });
            find(rows, "AuditAppendBenchmark", "chained2Threads", "").ifPresent(c2 -> {
                double scale = (2e9 / c2.meanNs()) / perSecond;
                line(t, "2 threads scale (chained entries/s, 2 threads ÷ 1)", ratio(scale), scale > 1);
            });
        });
        find(rows, "CompileBenchmark", "parseAndCompile", "rules=1000").ifPresent(c ->
                line(t, "1,000-rule file parsed and compiled < 0.5 s", time(c.meanNs()) + " mean", c.meanNs() < 5e8));
        rows.stream().filter(r -> r.method().equals("hotSwap:hotSwapDecide")).findFirst().ifPresent(d -> {
            t.append("| hot swap does not stall deciders | decide p99 ").append(time(d.p99Ns())).append(", max ").append(time(d.maxNs()))
                    .append(" while compiling and swapping | ")
                    .append(d.maxNs() < 1e6 ? "met" : d.p99Ns() < 10_000 ? "met at p99, **not at the max**" : "**missed**").append(" |\n");
            // The control: the same compiling without a swap. Its max is what a compile on the other core costs a decider.
            rows.stream().filter(r -> r.method().equals("compileNoSwap:compileNoSwapDecide")).findFirst().ifPresent(c ->
                    t.append("| control: the same compiling, no swap | decide p99 ").append(time(c.p99Ns())).append(", max ")
                            .append(time(c.maxNs())).append(" | measured |\n"));
        });
        for (String op : List.of("hmacSign", "hmacVerify", "ed25519BouncyCastleSign", "ed25519BouncyCastleVerify", "ed25519JdkSign", "ed25519JdkVerify")) {
            find(rows, "WarrantBenchmark", op, "").ifPresent(w ->
                    t.append("| warrants: ").append(op).append(" | ").append(String.format(Locale.ROOT, "%,.0f /s", 1e9 / w.meanNs()))
                            .append(" (").append(time(w.centralNs())).append(" p50) | measured |\n"));
        }
        suspension.forEach(s -> line(t, s.get("calls").asInt() + " calls waiting at once (" + s.get("threads").asText()
                        + " threads, JDK " + s.get("jdk").asText().replaceAll("[+-].*", "") + ") resolve or time out correctly",
                s.get("granted").asInt() + " granted, " + s.get("timedOut").asInt() + " timed out, " + s.get("wrong").asInt() + " wrong; "
                        + bytes(s.get("heapBytesPerCall").asLong()) + " heap / " + bytes(s.get("rssBytesPerCall").asLong()) + " RSS per call",
                s.get("passed").asBoolean()));
        if (startup != null) {
            long target = startup.get("targetMillis").asLong();
            for (JsonNode v : startup.get("variants")) {
                long median = v.get("addedMedianMillis").asLong();
                line(t, "start-up added to a trivial app" + (v.get("name").asText().equals("governed") ? " making one governed call" : "")
                                + " ≤ " + target + " ms (median of " + startup.get("runs").asInt() + ")",
                        median + " ms median, " + v.get("addedP90Millis").asLong() + " ms p90", median <= target);
            }
        }
        return t.toString();
    }

    private static void line(StringBuilder t, String target, String measured, boolean met) {
        t.append("| ").append(target).append(" | ").append(measured).append(" | ").append(met ? "met" : "**missed**").append(" |\n");
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, "%.1f×", r);
    }

    // ---------------------------------------------------------------- chart

    static void chart(List<Row> rows, Path out, String subtitle) throws IOException {
        int labelWidth = 430, plotWidth = 620, rowHeight = 18, top = 60, left = 10;
        Map<String, List<Row>> bySuite = new LinkedHashMap<>();
        for (Row r : rows) bySuite.computeIfAbsent(r.suite(), k -> new ArrayList<>()).add(r);
        int lines = rows.size() + bySuite.size();
        int height = top + lines * rowHeight + 50;
        int width = left + labelWidth + plotWidth + 90;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double lo = Math.floor(Math.log10(rows.stream().mapToDouble(Row::centralNs).filter(v -> v > 0).min().orElse(1)));
        double hi = Math.ceil(Math.log10(rows.stream().mapToDouble(Row::centralNs).max().orElse(1e9)));
        if (hi <= lo) hi = lo + 1;
        int x0 = left + labelWidth;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("Magistrate benchmarks: median (p50) where sampled, else mean; log scale", left, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString(subtitle, left, 40);
        int plotBottom = top + lines * rowHeight;
        // Decade grid.
        for (double d = lo; d <= hi; d++) {
            int x = x0 + (int) Math.round((d - lo) / (hi - lo) * plotWidth);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(x, top - 5, x, plotBottom);
            g.setColor(Color.DARK_GRAY);
            String label = time(Math.pow(10, d));
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, plotBottom + 16);
        }
        int y = top;
        Color[] suiteColors = {new Color(31, 119, 180), new Color(44, 160, 44), new Color(148, 103, 189), new Color(23, 190, 207),
                new Color(140, 86, 75), new Color(31, 119, 180)};
        int suiteIndex = 0;
        for (Map.Entry<String, List<Row>> suite : bySuite.entrySet()) {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            g.drawString(suite.getKey(), left, y + 13);
            g.setColor(new Color(200, 200, 200));
            g.setStroke(new BasicStroke(1));
            g.drawLine(left, y + 16, x0 + plotWidth, y + 16);
            y += rowHeight;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            Color own = suiteColors[suiteIndex++ % suiteColors.length];
            for (Row r : suite.getValue()) {
                FontMetrics fm = g.getFontMetrics();
                String label = r.label() + (r.threads() > 1 ? " ×" + r.threads() : "");
                while (fm.stringWidth(label) > labelWidth - 20 && label.length() > 10) label = label.substring(0, label.length() - 2);
                g.setColor(Color.BLACK);
                g.drawString(label, left + 12, y + 13);
                double v = Math.max(r.centralNs(), Math.pow(10, lo));
                int w = (int) Math.round((Math.log10(v) - lo) / (hi - lo) * plotWidth);
                g.setColor(r.baseline() ? new Color(170, 170, 170) : r.peer() ? new Color(255, 127, 14) : own);
                g.fillRect(x0, y + 3, Math.max(w, 1), rowHeight - 6);
                g.setColor(Color.BLACK);
                g.drawString(time(r.centralNs()), x0 + w + 4, y + 13);
                y += rowHeight;
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("grey: baselines; orange: peer engines; other colours: Magistrate", left, height - 12);
        g.dispose();
        ImageIO.write(img, "png", out.toFile());
    }
}
