package dev.magistrate.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code run.sh --compare}: each figure of a new run beside the committed one, so that a change that slows the hot
 * path shows before it lands. A row is marked {@code slower} when its central value (p50 where sampled, else the
 * mean) or its p99 is more than {@link #SLOWER} times the committed one, and {@code faster} the other way; short
 * runs on a shared machine move by 10-30 %, so one mark is a reason to run again, not a verdict. Rows only one side
 * has are listed as such. Reads the same files {@link ReportRenderer} does; prints, never writes.
 *
 * <p>{@code java -cp benchmarks.jar dev.magistrate.benchmarks.report.ResultsComparison COMMITTED_DIR NEW_DIR}
 */
public final class ResultsComparison {

    /** Beyond this ratio either way a row is marked. */
    static final double SLOWER = 1.25;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsComparison() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ResultsComparison COMMITTED_DIR NEW_DIR");
            System.exit(2);
        }
        Comparison c = compare(Path.of(args[0]), Path.of(args[1]));
        System.out.print(c.text());
    }

    /** What {@link #compare} found: the printable table and how many rows were marked slower. */
    record Comparison(String text, int slower, int faster, int compared) {
    }

    static Comparison compare(Path committedDir, Path newDir) throws IOException {
        Map<String, Row> committed = byKey(ReportRenderer.read(committedDir));
        Map<String, Row> now = byKey(ReportRenderer.read(newDir));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-58s %12s %12s %7s %12s %12s %7s%n", "benchmark (committed -> this run)",
                "central", "now", "ratio", "p99", "now", "ratio"));
        int slower = 0, faster = 0, compared = 0;
        List<String> onlyOne = new ArrayList<>();
        for (Map.Entry<String, Row> e : now.entrySet()) {
            Row before = committed.get(e.getKey());
            if (before == null) {
                onlyOne.add(e.getKey() + ": new in this run");
                continue;
            }
            Row after = e.getValue();
            compared++;
            double central = after.centralNs() / before.centralNs();
            double p99 = after.sampled() && before.sampled() ? after.p99Ns() / before.p99Ns() : Double.NaN;
            String mark = "";
            if (central > SLOWER || p99 > SLOWER) {
                mark = "  slower";
                slower++;
            } else if (central < 1 / SLOWER && !(p99 > 1)) {
                mark = "  faster";
                faster++;
            }
            out.append(String.format(Locale.ROOT, "%-58s %12s %12s %6.2fx %12s %12s %7s%s%n", shorten(e.getKey()),
                    ReportRenderer.time(before.centralNs()), ReportRenderer.time(after.centralNs()), central,
                    after.sampled() ? ReportRenderer.time(before.p99Ns()) : "", after.sampled() ? ReportRenderer.time(after.p99Ns()) : "",
                    Double.isNaN(p99) ? "" : String.format(Locale.ROOT, "%.2fx", p99), mark));
        }
        for (String k : committed.keySet()) if (!now.containsKey(k)) onlyOne.add(k + ": committed, not in this run");
        out.append(startup(committedDir, newDir));
        for (String line : onlyOne) out.append(line).append('\n');
        out.append(String.format(Locale.ROOT, "%d compared: %d slower, %d faster than committed by more than %.2fx%n",
                compared, slower, faster, SLOWER));
        return new Comparison(out.toString(), slower, faster, compared);
    }

    private static Map<String, Row> byKey(List<Row> rows) {
        Map<String, Row> out = new LinkedHashMap<>();
        for (Row r : rows) out.put(r.suite() + "." + r.label() + (r.threads() > 1 ? " (" + r.threads() + " threads)" : ""), r);
        return out;
    }

    private static String shorten(String key) {
        return key.length() <= 58 ? key : key.substring(0, 55) + "...";
    }

    /** The start-up suite's added milliseconds per variant, when both runs have it. */
    private static String startup(Path committedDir, Path newDir) throws IOException {
        Path a = committedDir.resolve("startup.json"), b = newDir.resolve("startup.json");
        if (!Files.exists(a) || !Files.exists(b)) return "";
        Map<String, JsonNode> before = new LinkedHashMap<>();
        for (JsonNode v : JSON.readTree(a.toFile()).get("variants")) before.put(v.get("name").asText(), v);
        StringBuilder out = new StringBuilder();
        for (JsonNode v : JSON.readTree(b.toFile()).get("variants")) {
            JsonNode old = before.get(v.get("name").asText());
            if (old == null) continue;
            long was = old.get("addedMedianMillis").asLong(), is = v.get("addedMedianMillis").asLong();
            double ratio = was <= 0 ? Double.NaN : (double) is / was;
            out.append(String.format(Locale.ROOT, "%-58s %12s %12s %6.2fx%s%n", "startup added, median [" + v.get("name").asText() + "]",
                    was + " ms", is + " ms", ratio, ratio > SLOWER ? "  slower" : ratio < 1 / SLOWER ? "  faster" : ""));
        }
        return out.toString();
    }
}
