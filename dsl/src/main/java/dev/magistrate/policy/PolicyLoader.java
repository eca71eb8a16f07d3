package dev.magistrate.policy;

import com.fasterxml.jackson.core.JsonToken;
import dev.magistrate.policy.YamlTree.Entry;
import dev.magistrate.policy.YamlTree.ListNode;
import dev.magistrate.policy.YamlTree.MapNode;
import dev.magistrate.policy.YamlTree.Node;
import dev.magistrate.policy.YamlTree.Scalar;
import dev.magistrate.policy.internal.Checker;
import dev.magistrate.policy.internal.Durations;
import dev.magistrate.policy.internal.Expr;
import dev.magistrate.policy.internal.ExpressionError;
import dev.magistrate.policy.internal.Glob;
import dev.magistrate.policy.internal.Suggest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The first stages: reads policy YAML, parses and checks every condition, and returns a
 * {@link PolicySet}, or throws a {@link PolicyException} listing every error found. Loading never
 * half-succeeds: a set with any error yields no policy at all.
 */
public final class PolicyLoader {

    private static final Set<String> FILE_KEYS = Set.of("policies", "default", "version", "description", "timezone", "break_glass", "rollbacks");
    private static final Set<String> ROLLBACK_KEYS = Set.of("action", "when", "within");
    private static final Set<String> RULE_KEYS = Set.of("name", "description", "condition", "risk_tier", "effect",
            "reason", "required_approvals", "required_roles", "timeout", "warrant_ttl", "requires_mfa", "raise_tier", "shadow", "break_glass");
    /** What a raise rule may say besides raise_tier: it sets nothing else, it raises what the other rules decide. */
    private static final Set<String> RAISE_RULE_KEYS = Set.of("name", "description", "condition", "raise_tier", "shadow", "break_glass");
    private static final Set<String> BREAK_GLASS_KEYS = Set.of("roles", "max_uses", "max_duration");
    private static final Set<String> DEFAULT_KEYS = Set.of("description", "risk_tier", "effect", "reason",
            "required_approvals", "required_roles", "timeout", "warrant_ttl", "requires_mfa");

    private PolicyLoader() {
    }

    /** Loads one file, or every {@code .yaml}/{@code .yml} file of a directory in name order. */
    public static PolicySet load(Path fileOrDirectory) {
        if (Files.isDirectory(fileOrDirectory)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(fileOrDirectory)) {
                files = s.filter(p -> {
                    String n = p.getFileName().toString();
                    return Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml"));
                }).sorted().toList();
            } catch (IOException e) {
                throw single(fileOrDirectory.toString(), "cannot list policy directory: " + e.getMessage());
            }
            if (files.isEmpty()) throw single(fileOrDirectory.toString(), "no .yaml or .yml policy files in this directory");
            return load(files);
        }
        return load(List.of(fileOrDirectory));
    }

    public static PolicySet load(List<Path> files) {
        Map<String, String> sources = new LinkedHashMap<>();
        List<PolicyError> errors = new ArrayList<>();
        for (Path f : files) {
            try {
                byte[] bytes = Files.readAllBytes(f);
                sources.put(f.toString(), StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                errors.add(new PolicyError(new SourceLocation(f.toString(), 1, 1), "not UTF-8 text", null));
            } catch (IOException e) {
                errors.add(new PolicyError(new SourceLocation(f.toString(), 1, 1), "cannot read policy file: " + e, null));
            }
        }
        if (!errors.isEmpty()) throw new PolicyException(errors);
        return parse(sources);
    }

    /** Parses one policy document held in memory; {@code sourceName} is what errors call the file. */
    public static PolicySet parse(String sourceName, String yaml) {
        return parse(Map.of(sourceName, yaml));
    }

    /** Parses several documents (name to text) into one set, in the map's order. */
    public static PolicySet parse(Map<String, String> sources) {
        List<PolicyError> errors = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        Rule defaultRule = null;
        SourceLocation defaultAt = null;
        ZoneId zone = null;
        SourceLocation zoneAt = null;
        Map<String, String> fileVersions = new LinkedHashMap<>();
        Map<String, Rule> byName = new LinkedHashMap<>();
        BreakGlassPolicy breakGlass = null;
        SourceLocation breakGlassAt = null;
        Map<String, SourceLocation> neverRules = new LinkedHashMap<>();
        List<FileReader> readers = new ArrayList<>();
        List<RollbackTrigger> rollbacks = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            FileReader reader = new FileReader(source.getKey(), source.getValue(), errors);
            reader.read();
            readers.add(reader);
            neverRules.putAll(reader.neverRules);
            if (reader.breakGlassAt != null) {
                if (breakGlassAt != null) {
                    reader.error(reader.breakGlassAt, "a policy set has one break_glass section; another is at " + breakGlassAt);
                } else {
                    breakGlassAt = reader.breakGlassAt;
                    breakGlass = reader.breakGlass;
                }
            }
            for (Rule r : reader.rules) {
                Rule twin = byName.putIfAbsent(r.name(), r);
                if (twin != null) {
                    reader.error(r.location(), "duplicate rule name '" + r.name() + "' (also at " + twin.location() + ")");
                } else {
                    rules.add(r);
                }
            }
            if (reader.defaultRule != null) {
                if (defaultRule != null) {
                    reader.error(reader.defaultAt, "a policy set has one default; another is at " + defaultAt);
                } else {
                    defaultRule = reader.defaultRule;
                    defaultAt = reader.defaultAt;
                }
            }
            if (reader.zone != null) {
                if (zone != null && !zone.equals(reader.zone)) {
                    reader.error(reader.zoneAt, "timezone " + reader.zone + " differs from " + zone + " set at " + zoneAt);
                } else if (zone == null) {
                    zone = reader.zone;
                    zoneAt = reader.zoneAt;
                }
            }
            if (reader.version != null) fileVersions.put(source.getKey(), reader.version);
            rollbacks.addAll(reader.rollbacks);
        }
        if (breakGlassAt == null) {
            // A rule cannot refuse what the policy never allows: say so where the rule says it.
            for (Map.Entry<String, SourceLocation> never : neverRules.entrySet()) {
                for (FileReader r : readers) {
                    if (r.file.equals(never.getValue().file())) {
                        r.error(never.getValue(), "'break_glass: never' on rule '" + never.getKey() + "' has no meaning: this policy has no"
                                + " top-level break_glass section, so no break-glass grant can be opened at all (add the section, or remove this line)");
                    }
                }
            }
        }
        if (!errors.isEmpty()) {
            List<String> order = new ArrayList<>(sources.keySet());
            errors.sort(Comparator.comparingInt((PolicyError e) -> order.indexOf(e.location().file()))
                    .thenComparingInt(e -> e.location().line()).thenComparingInt(e -> e.location().column()));
            throw new PolicyException(errors);
        }
        return new PolicySet(rules, defaultRule != null ? defaultRule : PolicySet.IMPLICIT_DEFAULT,
                zone != null ? zone : ZoneOffset.UTC, hash(sources), fileVersions,
                breakGlass == null ? null : new BreakGlassPolicy(breakGlass.roles(), breakGlass.maxUses(), breakGlass.maxDuration(),
                        neverRules.keySet()), rollbacks);
    }

    private static String hash(Map<String, String> sources) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> s : sources.entrySet()) {
                String name = s.getKey();
                int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
                // The file name, not its directory: the same policy decides the same wherever it is installed.
                sha.update(name.substring(slash + 1).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(s.getValue().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static PolicyException single(String file, String message) {
        return new PolicyException(List.of(new PolicyError(new SourceLocation(file, 1, 1), message, null)));
    }

    /** Reads one file, collecting every error it can find rather than stopping at the first. */
    private static final class FileReader {
        final String file;
        final String[] lines;
        final String text;
        final List<PolicyError> errors;
        final List<Rule> rules = new ArrayList<>();
        final List<RollbackTrigger> rollbacks = new ArrayList<>();
        Rule defaultRule;
        SourceLocation defaultAt;
        ZoneId zone;
        SourceLocation zoneAt;
        String version;
        BreakGlassPolicy breakGlass;
        SourceLocation breakGlassAt;
        /** Rules marked {@code break_glass: never}, by name, where the key is. */
        final Map<String, SourceLocation> neverRules = new LinkedHashMap<>();

        FileReader(String file, String text, List<PolicyError> errors) {
            this.file = file;
            this.text = text;
            this.lines = text.split("\r?\n", -1);
            this.errors = errors;
        }

        void error(SourceLocation at, String message) {
            String line = at != null && at.line() >= 1 && at.line() <= lines.length ? lines[at.line() - 1] : null;
            errors.add(new PolicyError(at, message, line));
        }

        void read() {
            Node root;
            try {
                root = YamlTree.read(file, text);
            } catch (YamlTree.YamlProblem p) {
                error(p.at, p.getMessage());
                return;
            }
            if (!(root instanceof MapNode top)) {
                error(root.at(), "a policy file is a mapping with a 'policies' list, not a " + kind(root));
                return;
            }
            boolean misspelt = unknownKeys(top, FILE_KEYS, "top-level key");
            Entry policies = top.entries().get("policies");
            if (policies == null && !top.entries().containsKey("default") && !top.entries().containsKey("rollbacks") && !misspelt) {
                error(top.at(), "missing 'policies': a policy file lists its rules under 'policies:'");
            }
            if (policies != null) {
                if (policies.value() instanceof ListNode list) {
                    for (Node item : list.items()) {
                        if (item instanceof MapNode m) {
                            Rule r = rule(m, false);
                            if (r != null) rules.add(r);
                        } else {
                            error(item.at(), "each policy is a mapping with name, condition and risk_tier, not a " + kind(item));
                        }
                    }
                } else if (!(policies.value() instanceof Scalar s && s.token() == JsonToken.VALUE_NULL)) {
                    error(policies.value().at(), "'policies' is a list of rules (each starting with '- name:'), not a " + kind(policies.value()));
                }
            }
            Entry def = top.entries().get("default");
            if (def != null) {
                defaultAt = def.keyAt();
                if (def.value() instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) {
                    Tier t = tier(s);
                    if (t != null) {
                        defaultRule = new Rule("default", null, null, null, t, Effect.ALLOW, null, null, List.of(),
                                null, null, null, def.keyAt());
                    }
                } else if (def.value() instanceof MapNode m) {
                    defaultRule = rule(m, true);
                } else {
                    error(def.value().at(), "'default' is a tier like T1, or a mapping like {risk_tier: T2, required_roles: [sre]}");
                }
            }
            Entry v = top.entries().get("version");
            if (v != null) {
                if (v.value() instanceof Scalar s && s.text() != null && s.token() != JsonToken.VALUE_TRUE
                        && s.token() != JsonToken.VALUE_FALSE) {
                    version = s.text();
                } else {
                    error(v.value().at(), "'version' is a string or a number, like \"2026-11-24\" or 3");
                }
            }
            Entry d = top.entries().get("description");
            if (d != null) string(d);
            Entry bg = top.entries().get("break_glass");
            if (bg != null) {
                breakGlassAt = bg.keyAt();
                breakGlass = breakGlass(bg);
            }
            Entry rb = top.entries().get("rollbacks");
            if (rb != null) {
                if (rb.value() instanceof ListNode list) {
                    for (Node item : list.items()) {
                        if (item instanceof MapNode m) {
                            RollbackTrigger t = rollback(m);
                            if (t != null) rollbacks.add(t);
                        } else {
                            error(item.at(), "each rollback is a mapping with action and when, not a " + kind(item));
                        }
                    }
                } else {
                    error(rb.value().at(), "'rollbacks' is a list (each starting with '- action:'), not a " + kind(rb.value()));
                }
            }
            Entry tz = top.entries().get("timezone");
            if (tz != null) {
                String id = string(tz);
                if (id != null) {
                    try {
                        zone = ZoneId.of(id);
                        zoneAt = tz.value().at();
                    } catch (DateTimeException e) {
                        error(tz.value().at(), "unknown time zone '" + id + "' (use an IANA name like Europe/Vienna, or UTC)");
                    }
                }
            }
        }

        /**
         * One {@code rollbacks:} entry: {@code action} (a glob), {@code when} ({@code failed}, or a condition like a rule's),
         * and for a condition {@code within} (how long it is watched after the call); null after an error.
         */
        RollbackTrigger rollback(MapNode m) {
            int before = errors.size();
            unknownKeys(m, ROLLBACK_KEYS, "rollback key");
            Map<String, Entry> e = m.entries();
            String action = requiredString(m, "action");
            if (action != null) {
                int bad = Glob.invalidAt(action);
                if (action.isBlank()) {
                    error(e.get("action").value().at(), "a rollback's action cannot be blank");
                } else if (bad >= 0) {
                    SourceLocation at = e.get("action").value().at();
                    error(new SourceLocation(at.file(), at.line(), at.column() + bad + (quoted(at) ? 1 : 0)), "'" + action.charAt(bad)
                            + "' cannot be part of an action name (a rollback's action is a name, or a glob with * and ?)");
                }
            }
            String conditionText = null;
            Expr condition = null;
            boolean failed = false;
            Entry when = e.get("when");
            if (when == null) {
                error(m.at(), "missing 'when': failed (the call threw), or a condition over signals, like \"signal.error_rate > 0.05\"");
            } else if (when.value() instanceof Scalar s && s.token() == JsonToken.VALUE_STRING && !s.text().isBlank()) {
                failed = s.text().strip().equals(RollbackTrigger.FAILED);
                if (!failed) {
                    conditionText = s.text();
                    condition = condition(s);
                    if (condition != null && !Window.in(condition).isEmpty()) {
                        error(s.at(), "a rollback condition cannot read count() or sum(): they count calls, and a rollback watches signals");
                        condition = null;
                    }
                }
            } else {
                error(when.value().at(), "'when' is failed, or a condition in quotes, like \"signal.error_rate > 0.05\"");
            }
            Duration within = null;
            Entry w = e.get("within");
            if (w != null) {
                within = duration(w);
                if (failed) {
                    error(w.keyAt(), "'within' has no meaning with when: failed (the rollback runs as soon as the call fails)");
                }
            } else if (conditionText != null) {
                error(m.at(), "missing 'within': how long after the call the condition is watched, like \"10m\"");
            }
            if (errors.size() > before) return null;
            return new RollbackTrigger(action, conditionText, condition, within, m.at());
        }

        /** Whether the scalar at {@code at} starts with a quote (its text then starts one column later). */
        boolean quoted(SourceLocation at) {
            if (at.line() < 1 || at.line() > lines.length) return false;
            String line = lines[at.line() - 1];
            int i = at.column() - 1;
            return i >= 0 && i < line.length() && (line.charAt(i) == '"' || line.charAt(i) == '\'');
        }

        /** A rule, or the map form of the default (no name, no condition); null after an error. */
        Rule rule(MapNode m, boolean isDefault) {
            int before = errors.size();
            unknownKeys(m, isDefault ? DEFAULT_KEYS : RULE_KEYS, isDefault ? "key in 'default'" : "policy key");
            Map<String, Entry> e = m.entries();
            String name = isDefault ? "default" : requiredString(m, "name");
            if (name != null && name.isBlank()) error(e.get("name").value().at(), "a policy name cannot be blank");
            String description = e.containsKey("description") ? string(e.get("description")) : null;

            Effect effect = Effect.ALLOW;
            boolean effectKnown = true;
            if (e.containsKey("effect")) {
                String s = string(e.get("effect"));
                if (s != null) {
                    switch (s.toLowerCase(Locale.ROOT)) {
                        case "allow" -> effect = Effect.ALLOW;
                        case "deny" -> effect = Effect.DENY;
                        default -> {
                            effectKnown = false;
                            error(e.get("effect").value().at(), "unknown effect '" + s
                                    + "': use 'deny' for a hard deny, or leave effect out and let risk_tier decide");
                        }
                    }
                }
            }
            boolean deny = effect == Effect.DENY;

            int raise = 0;
            if (!isDefault && e.containsKey("raise_tier")) {
                Node n = e.get("raise_tier").value();
                if (n instanceof Scalar s && s.token() == JsonToken.VALUE_NUMBER_INT && s.text().matches("[123]")) {
                    raise = Integer.parseInt(s.text());
                } else {
                    error(n.at(), "raise_tier is 1, 2 or 3: how many tiers to add while the condition holds (capped at T3)");
                }
                for (Entry other : e.values()) {
                    if (!RAISE_RULE_KEYS.contains(other.key()) && RULE_KEYS.contains(other.key())) {
                        error(other.keyAt(), "'" + other.key() + "' does not go with raise_tier: a raise rule only raises the tier"
                                + " the other rules decide (write a separate rule with risk_tier or effect for that)");
                    }
                }
            }
            boolean shadow = false;
            if (e.containsKey("shadow")) {
                Node n = e.get("shadow").value();
                if (n instanceof Scalar s && (s.token() == JsonToken.VALUE_TRUE || s.token() == JsonToken.VALUE_FALSE)) {
                    shadow = s.token() == JsonToken.VALUE_TRUE;
                } else {
                    error(n.at(), "shadow is true or false");
                }
            }

            boolean breakGlassNever = false;
            if (e.containsKey("break_glass")) {
                Node n = e.get("break_glass").value();
                if (n instanceof Scalar s && s.token() == JsonToken.VALUE_STRING && s.text().equals("never")) {
                    breakGlassNever = true;
                } else {
                    error(n.at(), "break_glass on a rule is 'never' (a break-glass grant cannot let through a call this rule"
                            + " matches), not " + (n instanceof Scalar s && s.text() != null ? "'" + s.text() + "'" : "a " + kind(n)));
                }
            }

            Tier tier = null;
            if (e.containsKey("risk_tier")) {
                Node n = e.get("risk_tier").value();
                if (n instanceof Scalar s && s.text() != null) tier = tier(s);
                else error(n.at(), "risk_tier is one of T0, T1, T2, T3");
            } else if (!deny && effectKnown && !e.containsKey("raise_tier")) {
                error(isDefault ? m.at() : keyOrMap(m, "name"), "missing risk_tier (T0, T1, T2 or T3)"
                        + (isDefault ? "" : " in policy '" + name + "'"));
            }

            String conditionText = null;
            Expr condition = null;
            if (!isDefault) {
                Entry c = e.get("condition");
                if (c == null) {
                    error(keyOrMap(m, "name"), "missing condition in policy '" + name + "' (write condition: \"true\" to match every call)");
                } else if (c.value() instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) {
                    conditionText = s.text();
                    condition = condition(s);
                } else if (c.value() instanceof Scalar s && s.token() == JsonToken.VALUE_TRUE) {
                    conditionText = "true";
                    condition = new Expr.Literal(Boolean.TRUE, 0);
                } else {
                    error(c.value().at(), "condition is an expression in quotes, like \"action == 'deploy'\"");
                }
            }

            String reason = null;
            if (e.containsKey("reason")) {
                reason = string(e.get("reason"));
                if (!deny && effectKnown) error(e.get("reason").keyAt(), "'reason' explains a deny: it goes with effect: deny (use description otherwise)");
                else if (reason != null && reason.isBlank()) error(e.get("reason").value().at(), "reason cannot be blank");
            } else if (deny) {
                error(keyOrMap(m, "effect"), "a deny needs a reason: it is what the agent and the audit are told");
            }

            Integer approvals = null;
            LinkedHashSet<String> roles = new LinkedHashSet<>();
            if (e.containsKey("required_approvals")) {
                Node n = e.get("required_approvals").value();
                if (n instanceof Scalar s && s.token() == JsonToken.VALUE_NUMBER_INT) {
                    try {
                        approvals = Integer.parseInt(s.text());
                        if (approvals < 0) {
                            error(n.at(), "required_approvals cannot be negative");
                            approvals = null;
                        }
                    } catch (NumberFormatException ex) {
                        error(n.at(), "required_approvals is too large");
                    }
                } else if (n instanceof ListNode list) {
                    // The Vienna shape: a list of roles, one approver from each.
                    List<String> named = stringList(list, "required_approvals");
                    if (named != null) {
                        roles.addAll(named);
                        approvals = named.size();
                        if (named.isEmpty()) error(n.at(), "required_approvals lists at least one role");
                    }
                } else {
                    error(n.at(), "required_approvals is a number, or a list of roles like [\"cfo\", \"sre_lead\"]");
                }
            }
            if (e.containsKey("required_roles")) {
                Node n = e.get("required_roles").value();
                if (n instanceof ListNode list) {
                    List<String> named = stringList(list, "required_roles");
                    if (named != null) roles.addAll(named);
                } else {
                    error(n.at(), "required_roles is a list of role names, like [\"senior_dev\", \"devops\"]");
                }
            }
            Duration timeout = e.containsKey("timeout") ? duration(e.get("timeout")) : null;
            Duration ttl = e.containsKey("warrant_ttl") ? duration(e.get("warrant_ttl")) : null;
            Boolean mfa = null;
            if (e.containsKey("requires_mfa")) {
                Node n = e.get("requires_mfa").value();
                if (n instanceof Scalar s && (s.token() == JsonToken.VALUE_TRUE || s.token() == JsonToken.VALUE_FALSE)) {
                    mfa = s.token() == JsonToken.VALUE_TRUE;
                } else {
                    error(n.at(), "requires_mfa is true or false");
                }
            }

            // Settings that contradict the tier or the effect are mistakes, not preferences.
            if (deny) {
                for (String k : List.of("required_approvals", "required_roles", "timeout", "warrant_ttl", "requires_mfa")) {
                    if (e.containsKey(k)) error(e.get(k).keyAt(), "'" + k + "' has no meaning on a deny: no approver can override it");
                }
            } else if (tier != null) {
                if (tier == Tier.T0) {
                    for (String k : List.of("required_approvals", "required_roles", "requires_mfa", "timeout")) {
                        if (e.containsKey(k) && !(k.equals("requires_mfa") && Boolean.FALSE.equals(mfa))
                                && !(k.equals("required_approvals") && Integer.valueOf(0).equals(approvals))) {
                            error(e.get(k).keyAt(), "T0 is granted without anyone asked, so '" + k + "' contradicts it: raise the tier");
                        }
                    }
                } else if (approvals != null) {
                    if (tier == Tier.T1 && approvals != 1) {
                        error(e.get("required_approvals").value().at(), "T1 means one approval, not " + approvals
                                + (approvals > 1 ? ": use T2 for multi-party approval" : ": use T0 for none"));
                    } else if (tier.compareTo(Tier.T2) >= 0 && approvals < 2) {
                        error(e.get("required_approvals").value().at(), tier + " is multi-party: it needs at least 2 approvals, not " + approvals);
                    }
                }
                if (tier == Tier.T3 && Boolean.FALSE.equals(mfa)) {
                    error(e.get("requires_mfa").value().at(), "T3 always requires MFA: requires_mfa: false contradicts it");
                }
            }
            if (errors.size() > before) return null;
            if (breakGlassNever) neverRules.put(name, e.get("break_glass").keyAt());
            return new Rule(name, description, conditionText, condition, tier, effect, reason, approvals,
                    List.copyOf(roles), timeout, ttl, mfa, isDefault ? m.at() : keyOrMap(m, "name"), raise, shadow);
        }

        /**
         * The top-level section; null after an error. Its values are checked here, the rules' {@code never} marks
         * against it once every file is read.
         */
        BreakGlassPolicy breakGlass(Entry section) {
            if (!(section.value() instanceof MapNode m)) {
                error(section.value().at(), "'break_glass' is a mapping like {roles: [incident_commander], max_uses: 3, max_duration: \"30m\"}, not a "
                        + kind(section.value()));
                return null;
            }
            int before = errors.size();
            unknownKeys(m, BREAK_GLASS_KEYS, "key in 'break_glass'");
            Map<String, Entry> e = m.entries();
            List<String> roles = null;
            if (!e.containsKey("roles")) {
                error(m.at(), "missing 'roles' in break_glass: the roles whose holders may open a grant, like [incident_commander]");
            } else if (e.get("roles").value() instanceof ListNode list) {
                roles = stringList(list, "break_glass roles");
                if (roles != null && roles.isEmpty()) error(list.at(), "break_glass roles lists at least one role");
            } else {
                error(e.get("roles").value().at(), "break_glass roles is a list of role names, like [incident_commander]");
            }
            int maxUses = 0;
            if (!e.containsKey("max_uses")) {
                error(m.at(), "missing 'max_uses' in break_glass: the most calls one grant may let through, like 3");
            } else {
                Node n = e.get("max_uses").value();
                if (n instanceof Scalar s && s.token() == JsonToken.VALUE_NUMBER_INT && s.text().matches("[1-9][0-9]{0,5}")) {
                    maxUses = Integer.parseInt(s.text());
                } else {
                    error(n.at(), "max_uses is a whole number from 1 to 999999, not " + (n instanceof Scalar s && s.text() != null ? "'" + s.text() + "'" : "a " + kind(n)));
                }
            }
            Duration maxDuration = null;
            if (!e.containsKey("max_duration")) {
                error(m.at(), "missing 'max_duration' in break_glass: the longest a grant may stay open, like \"30m\"");
            } else {
                maxDuration = duration(e.get("max_duration"));
            }
            if (errors.size() > before) return null;
            return new BreakGlassPolicy(roles, maxUses, maxDuration, Set.of());
        }

        Expr condition(Scalar s) {
            try {
                return Checker.parseAndCheck(s.text());
            } catch (ExpressionError ex) {
                ConditionLocator locator = ConditionLocator.of(lines, s.at(), s.text());
                if (locator != null) {
                    error(locator.locate(file, ex.offset()), ex.getMessage());
                } else {
                    error(s.at(), ex.getMessage() + " (at character " + (ex.offset() + 1) + " of the condition)");
                }
                return null;
            }
        }

        Tier tier(Scalar s) {
            String t = s.text();
            for (Tier tier : Tier.values()) {
                if (tier.name().equals(t)) return tier;
            }
            String hint = t != null && t.length() == 2 && Character.toUpperCase(t.charAt(0)) == 'T'
                    && t.toUpperCase(Locale.ROOT).matches("T[0-3]") ? ": write it as " + t.toUpperCase(Locale.ROOT) : "";
            error(s.at(), "unknown risk tier '" + t + "': expected T0, T1, T2 or T3" + hint);
            return null;
        }

        Duration duration(Entry entry) {
            Node n = entry.value();
            if (n instanceof Scalar s && s.token() == JsonToken.VALUE_STRING) {
                Duration d = Durations.parse(s.text());
                if (d != null && !d.isZero() && !d.isNegative()) return d;
                error(n.at(), "'" + entry.key() + "' is a duration like \"30m\", \"2h\", \"90s\" or \"1h30m\", not '" + s.text() + "'");
            } else {
                error(n.at(), "'" + entry.key() + "' is a duration in quotes, like \"30m\"");
            }
            return null;
        }

        String requiredString(MapNode m, String key) {
            Entry e = m.entries().get(key);
            if (e == null) {
                error(m.at(), "missing '" + key + "'");
                return null;
            }
            return string(e);
        }

        String string(Entry e) {
            if (e.value() instanceof Scalar s && s.text() != null && s.token() != JsonToken.VALUE_TRUE
                    && s.token() != JsonToken.VALUE_FALSE) {
                return s.text();
            }
            boolean yamlBoolean = e.value() instanceof Scalar s && (s.token() == JsonToken.VALUE_TRUE || s.token() == JsonToken.VALUE_FALSE);
            error(e.value().at(), "'" + e.key() + "' is text, not a " + kind(e.value())
                    + (yamlBoolean ? " (YAML reads yes/no/on/off/true/false as booleans: put the text in quotes)" : ""));
            return null;
        }

        List<String> stringList(ListNode list, String key) {
            List<String> out = new ArrayList<>();
            boolean ok = true;
            for (Node item : list.items()) {
                if (item instanceof Scalar s && s.token() == JsonToken.VALUE_STRING && !s.text().isBlank()) {
                    if (out.contains(s.text())) error(item.at(), "'" + s.text() + "' is listed twice in " + key);
                    out.add(s.text());
                } else {
                    error(item.at(), key + " lists role names as text");
                    ok = false;
                }
            }
            return ok ? out : null;
        }

        /** Reports keys outside {@code known}; true when there was one. */
        boolean unknownKeys(MapNode m, Set<String> known, String what) {
            boolean any = false;
            for (Entry e : m.entries().values()) {
                if (!known.contains(e.key())) {
                    any = true;
                    String hint = Suggest.closest(e.key(), known);
                    error(e.keyAt(), "unknown " + what + " '" + e.key() + "'"
                            + (hint != null ? ": did you mean '" + hint + "'?" : " (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")"));
                }
            }
            return any;
        }

        static SourceLocation keyOrMap(MapNode m, String key) {
            Entry e = m.entries().get(key);
            return e != null ? e.keyAt() : m.at();
        }

        static String kind(Node n) {
            if (n instanceof MapNode) return "mapping";
            if (n instanceof ListNode) return "list";
            Scalar s = (Scalar) n;
            return switch (s.token()) {
                case VALUE_NULL -> "empty value";
                case VALUE_TRUE, VALUE_FALSE -> "true/false value";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
                default -> "string";
            };
        }
    }
}
