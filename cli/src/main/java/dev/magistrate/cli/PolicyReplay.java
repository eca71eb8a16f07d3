package dev.magistrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.ForwardingPolicyInput;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.PolicyRequest;
import dev.magistrate.policy.Window;
import dev.magistrate.policy.SignalSlots;
import dev.magistrate.policy.Tier;
import dev.magistrate.policy.internal.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.USAGE;

/**
 * {@code policy replay CANDIDATE --audit DIR}: decides every call recorded in an audit trail again with a candidate policy
 * and reports what would change, grouped by the rule that decides now; exit 1 when anything would, so a CI pipeline can
 * gate a policy change on it. The recorded call is what the agent submitted ({@code INTENT_SUBMITTED}: action, agent,
 * resource, justification, urgency, cost, arguments, at the time it was submitted); what was decided then is its
 * {@code DECISION} entry (a T0 call granted in the process holds both in its {@code CALL_GRANTED} entry). Nothing is guessed: a call whose arguments were stored summarised is listed as not replayed.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Decides every call recorded in an audit trail again with a candidate policy and reports what would change:",
                "granted then, denied now; denied then, granted now; tier raised or lowered; other approval terms. Grouped by the rule that "
                        + "decides now; the calls that would not change are counted."},
        footer = {"", "Exit status:%n"
                + "  0  nothing would change%n"
                + "  1  something would change (the report says what)%n"
                + "  2  usage error or bad input: a candidate that does not load (file:line:col), an audit directory that cannot be read"})
final class PolicyReplay implements Callable<Integer> {

    /** How {@code Decision.atLeast} names a developer's tier floor among the matched rules: not the policy's, so replayed as recorded. */
    private static final Pattern MINIMUM_TIER = Pattern.compile("minimum tier (T[0-3]) set on the tool");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CANDIDATE", description = "the candidate policy file, or a directory of them")
    String candidate;

    @Option(names = "--audit", required = true, paramLabel = "DIR", description = "the audit directory (read only; no keys needed)")
    Path audit;

    @Option(names = "--since", paramLabel = "ISO-8601|DURATION",
            description = "only calls submitted at or after this instant (2026-11-24T00:00:00Z), or within this long before now (24h, 7d)")
    String since;

    @Option(names = "--show", paramLabel = "N", description = "calls listed per rule and kind of change (default ${DEFAULT-VALUE}); --json lists all")
    int show = 5;

    @Option(names = "--json", description = "one JSON object: counts, every change, every call not replayed")
    boolean json;

    enum Kind {
        GRANTED_THEN_DENIED_NOW("granted then, denied now"),
        DENIED_THEN_GRANTED_NOW("denied then, granted now"),
        TIER_RAISED("tier raised"),
        TIER_LOWERED("tier lowered"),
        TERMS_CHANGED("same tier, other approval terms");

        final String words;

        Kind(String words) {
            this.words = words;
        }
    }

    /** One recorded call: what was submitted and when, what was decided then, and whether it ran. */
    private static final class Recorded {
        final String intentId;
        final Instant time;
        final AuditPayload.IntentSubmitted submitted;
        AuditPayload.Decision then;
        boolean ran;

        Recorded(String intentId, Instant time, AuditPayload.IntentSubmitted submitted) {
            this.intentId = intentId;
            this.time = time;
            this.submitted = submitted;
        }
    }

    record Change(Kind kind, String rule, Recorded call, Decision now) {
    }

    @Override
    public Integer call() {
        Path candidatePath = PolicyCommand.readable(candidate);
        Instant from = since == null ? null : parseSince(since, Instant.now());
        if (show < 0) throw new CliException("--show: a number of calls, 0 or more");
        if (!Files.isDirectory(audit)) throw new CliException("--audit: no such directory " + audit);
        CompiledPolicy policy;
        try {
            policy = PolicyCompiler.compile(PolicyLoader.load(candidatePath));
        } catch (PolicyException e) {
            MagistrateCli.err(spec).println(e.getMessage());
            return USAGE;
        }
        List<Recorded> calls = read(audit, from);
        List<Change> changes = new ArrayList<>();
        Map<String, String> notReplayed = new LinkedHashMap<>();
        int unchanged = 0;
        for (Recorded r : calls) {
            if (r.then == null) {
                notReplayed.put(r.intentId, "no DECISION entry recorded for it (the engine stopped, or the trail ends, before it was decided)");
                continue;
            }
            PolicyRequest input;
            try {
                input = input(r);
            } catch (IllegalArgumentException notRecorded) {
                notReplayed.put(r.intentId, notRecorded.getMessage());
                continue;
            }
            RecordedMoment moment = new RecordedMoment(input, r.then.signals());
            Decision now = decide(policy, moment, r.then);
            if (moment.unknown != null) { // the candidate failed closed on a value it could not have: not a change to report
                notReplayed.put(r.intentId, moment.unknown);
                continue;
            }
            Kind kind = compare(r.then, now);
            if (kind == null) unchanged++;
            else changes.add(new Change(kind, decidingRules(r.then, now), r, now));
        }
        PrintStream out = MagistrateCli.out(spec);
        if (json) out.println(toJson(candidatePath, policy.version(), from, calls.size(), unchanged, changes, notReplayed));
        else print(out, candidatePath, policy.version(), from, calls, unchanged, changes, notReplayed);
        return changes.isEmpty() ? OK : NO;
    }

    static Instant parseSince(String text, Instant now) {
        try {
            return Instant.parse(text);
        } catch (DateTimeException notAnInstant) {
            try {
                Duration d = Durations.parse(text);
                if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("not positive");
                return now.minus(d);
            } catch (RuntimeException notADuration) {
                throw new CliException("--since: an ISO-8601 instant like 2026-11-24T00:00:00Z, or a duration like 24h or 7d, not '" + text + "'");
            }
        }
    }

    /** The steps of a call replay reads (a T0 grant's CALL_GRANTED holds all three). */
    private static final Set<AuditEventType> RECORDED_STEPS =
            EnumSet.of(AuditEventType.INTENT_SUBMITTED, AuditEventType.DECISION, AuditEventType.EXECUTION_STARTED);

    /** The calls submitted at or after {@code from}, in the order of the trail, with their first decision and whether they ran. */
    private static List<Recorded> read(Path dir, Instant from) {
        Map<String, Recorded> byIntent = new LinkedHashMap<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) {
                String id = d.event().intentId();
                if (Collections.disjoint(d.event().type().steps(), RECORDED_STEPS)) continue; // not even parsed
                for (AuditPayload step : d.payload().steps()) {
                    switch (step.type()) {
                        case INTENT_SUBMITTED -> {
                            if (from == null || !d.event().time().isBefore(from)) {
                                byIntent.put(id, new Recorded(id, d.event().time(), (AuditPayload.IntentSubmitted) step));
                            }
                        }
                        case DECISION -> {
                            Recorded r = byIntent.get(id);
                            if (r != null && r.then == null) r.then = (AuditPayload.Decision) step;
                        }
                        case EXECUTION_STARTED -> {
                            Recorded r = byIntent.get(id);
                            if (r != null) r.ran = true;
                        }
                        default -> { }
                    }
                }
            }
        } catch (IllegalStateException unreadable) {
            throw new CliException("--audit " + dir + ": " + unreadable.getMessage());
        }
        return new ArrayList<>(byIntent.values());
    }

    /**
     * The recorded call at its recorded moment: the signals and the denial streak as the DECISION entry recorded what the
     * policy read then. A value the candidate reads that was not recorded (a signal the old policy never read, a sliding
     * window, whose state replay does not rebuild) is not guessed: {@link #unknown} says what, and the call is not replayed.
     */
    private static final class RecordedMoment extends ForwardingPolicyInput {
        private final Map<String, String> recorded = new HashMap<>();
        String unknown;

        RecordedMoment(PolicyRequest call, List<String> signals) {
            super(call);
            if (signals != null) {
                for (String s : signals) {
                    int eq = s.indexOf('=');
                    if (eq > 0) recorded.put(s.substring(0, eq), s.substring(eq + 1));
                }
            }
        }

        @Override
        public Object signal(int slot) {
            String value = recorded("signal." + SignalSlots.name(slot));
            return value.equals("missing") ? null : new BigDecimal(value);
        }

        @Override
        public Object denialsInARow() {
            return Long.parseLong(recorded("agent.denials_in_a_row"));
        }

        @Override
        public Object window(Window window) {
            unknown = "the candidate reads the sliding window " + window.definition() + ", whose state replay does not rebuild";
            throw new IllegalStateException(unknown);
        }

        private String recorded(String name) {
            String v = recorded.get(name);
            if (v == null) {
                unknown = "the candidate reads " + name + ", which the policy that decided then did not read, so its value then is not recorded";
                throw new IllegalStateException(unknown);
            }
            return v;
        }
    }

    /** The call as it was submitted, or {@link IllegalArgumentException} naming what was not recorded. */
    private static PolicyRequest input(Recorded r) {
        AuditPayload.IntentSubmitted s = r.submitted;
        String digest = "sha256:" + CanonicalJson.sha256Hex(s.args().getBytes(StandardCharsets.UTF_8));
        if (!digest.equals(s.argsDigest())) {
            throw new IllegalArgumentException("its arguments were stored summarised (over the audit's size limit), so the candidate "
                    + "cannot see them");
        }
        Map<String, Object> args;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = JSON.readValue(s.args(), Map.class);
            args = parsed;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("its recorded arguments are not a JSON object");
        }
        PolicyRequest.Builder b = PolicyRequest.builder(s.action()).agent(s.agent()).resource(s.resource()).justification(s.justification())
                .urgency(s.urgency()).time(r.time);
        if (s.cost() != null) {
            try {
                b.cost(new BigDecimal(s.cost()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("its recorded cost '" + s.cost() + "' is not a number");
            }
        }
        args.forEach(b::arg);
        return b.build();
    }

    /** The candidate's decision, with the developer's tier floor that was applied then (recorded among the rules) applied again. */
    private static Decision decide(CompiledPolicy policy, PolicyInput input, AuditPayload.Decision then) {
        Decision now = policy.decide(input);
        for (String rule : then.rules()) {
            Matcher m = MINIMUM_TIER.matcher(rule);
            if (m.matches()) now = now.atLeast(Tier.valueOf(m.group(1)), rule);
        }
        return now;
    }

    /** What changed, or null when the candidate decides as was decided then. */
    static Kind compare(AuditPayload.Decision then, Decision now) {
        boolean deniedThen = then.effect().equals(Effect.DENY.wireName()), deniedNow = now.effect() == Effect.DENY;
        if (!deniedThen && deniedNow) return Kind.GRANTED_THEN_DENIED_NOW;
        if (deniedThen && !deniedNow) return Kind.DENIED_THEN_GRANTED_NOW;
        if (deniedNow) return null;
        int tier = now.tier().compareTo(Tier.valueOf(then.tier()));
        if (tier > 0) return Kind.TIER_RAISED;
        if (tier < 0) return Kind.TIER_LOWERED;
        if (now.requiredApprovals() != then.requiredApprovals() || now.mfaRequired() != then.mfa()
                || !List.copyOf(now.requiredRoles()).equals(then.requiredRoles())) {
            return Kind.TERMS_CHANGED;
        }
        return null;
    }

    /**
     * What the change is grouped under: the rule that denies now; else the rules that match now and did not then (they made
     * the difference); else those that no longer match; else the rules that match now, or the policy's default.
     */
    private static String decidingRules(AuditPayload.Decision then, Decision now) {
        if (now.effect() == Effect.DENY) return "rule '" + now.denyReasons().keySet().iterator().next() + "'";
        List<String> matched = now.matchedRules().stream().filter(r -> !MINIMUM_TIER.matcher(r).matches()).toList();
        List<String> added = matched.stream().filter(r -> !then.rules().contains(r)).toList();
        if (!added.isEmpty()) return rules(added);
        List<String> gone = then.rules().stream().filter(r -> !matched.contains(r) && !MINIMUM_TIER.matcher(r).matches()).toList();
        if (!gone.isEmpty()) return "no longer matching: " + rules(gone);
        return matched.isEmpty() ? "the policy's default" : rules(matched);
    }

    private static String rules(List<String> names) {
        return (names.size() == 1 ? "rule " : "rules ") + String.join(", ", names.stream().map(n -> "'" + n + "'").toList());
    }

    // ---- output ----

    private void print(PrintStream out, Path candidatePath, String version, Instant from, List<Recorded> calls, int unchanged,
                       List<Change> changes, Map<String, String> notReplayed) {
        out.println("Replayed " + calls.size() + " recorded call" + (calls.size() == 1 ? "" : "s") + " from " + audit
                + (from == null ? "" : " submitted since " + from) + " against " + candidatePath + " (sha256 " + PolicyCommand.shortHash(version) + ").");
        out.println(unchanged + " unchanged, " + changes.size() + " would change" + (notReplayed.isEmpty() ? "." : ", " + notReplayed.size()
                + " not replayed."));
        Map<String, List<Change>> byRule = new LinkedHashMap<>();
        for (Change c : changes) byRule.computeIfAbsent(c.rule(), k -> new ArrayList<>()).add(c);
        List<Map.Entry<String, List<Change>>> groups = new ArrayList<>(byRule.entrySet());
        groups.sort(Comparator.comparing((Map.Entry<String, List<Change>> e) -> -e.getValue().size()));
        for (Map.Entry<String, List<Change>> g : groups) {
            out.println();
            out.println(ApprovalsCommand.printable(g.getKey()) + " (" + g.getValue().size() + "):");
            for (Kind kind : Kind.values()) {
                List<Change> of = g.getValue().stream().filter(c -> c.kind() == kind).toList();
                if (of.isEmpty()) continue;
                out.println("  " + kind.words + ": " + of.size());
                for (Change c : of.subList(0, Math.min(show, of.size()))) out.println("    " + line(c));
                if (of.size() > show) out.println("    … " + (of.size() - show) + " more (--show N, or --json)");
            }
        }
        if (!notReplayed.isEmpty()) {
            out.println();
            out.println("Not replayed (" + notReplayed.size() + "):");
            notReplayed.forEach((id, why) -> out.println("  intent " + id + ": " + why));
        }
    }

    private static String line(Change c) {
        Recorded r = c.call();
        return r.time + "  " + ApprovalsCommand.printable(r.submitted.action()) + "  agent " + ApprovalsCommand.printable(String.valueOf(r.submitted.agent()))
                + "  " + ApprovalsCommand.printable(shortArgs(r.submitted.args())) + "  " + r.then.tier() + " " + r.then.effect() + " -> "
                + c.now().tier() + " " + c.now().effect().wireName() + (r.ran ? "  (ran then)" : "  (did not run then)") + "  intent " + r.intentId;
    }

    /** The arguments on one line: long text values shortened, so that the numbers a policy compares stay in view. */
    private static String shortArgs(String args) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(args);
            if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
                o.fields().forEachRemaining(f -> {
                    if (f.getValue().isTextual() && f.getValue().asText().length() > 24) f.setValue(o.textNode(abbreviate(f.getValue().asText(), 24)));
                });
                return abbreviate(o.toString(), 160);
            }
        } catch (IOException notJson) {
            // shown as recorded
        }
        return abbreviate(args, 160);
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private String toJson(Path candidatePath, String version, Instant from, int replayed, int unchanged, List<Change> changes,
                          Map<String, String> notReplayed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("candidate", candidatePath.toString());
        m.put("candidate_version", version);
        m.put("audit", audit.toString());
        m.put("since", from == null ? null : from.toString());
        m.put("recorded", replayed);
        m.put("unchanged", unchanged);
        m.put("changed", changes.size());
        List<Map<String, Object>> list = new ArrayList<>();
        for (Change c : changes) {
            Recorded r = c.call();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("group", c.rule());
            o.put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT));
            o.put("intent_id", r.intentId);
            o.put("time", r.time.toString());
            o.put("action", r.submitted.action());
            o.put("agent", r.submitted.agent());
            o.put("args", r.submitted.args());
            o.put("ran", r.ran);
            o.put("then", Map.of("effect", r.then.effect(), "tier", r.then.tier(), "rules", r.then.rules(), "policy_version",
                    String.valueOf(r.then.policyVersion())));
            o.put("now", Map.of("effect", c.now().effect().wireName(), "tier", c.now().tier().name(), "rules", c.now().matchedRules(),
                    "explain", c.now().explain()));
            list.add(o);
        }
        m.put("changes", list);
        List<Map<String, String>> skipped = new ArrayList<>();
        notReplayed.forEach((id, why) -> skipped.add(Map.of("intent_id", id, "reason", why)));
        m.put("not_replayed", skipped);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
