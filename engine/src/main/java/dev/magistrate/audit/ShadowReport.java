package dev.magistrate.audit;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every call where the shadow policy decided otherwise than the live one (a SHADOW_DECISION joined with the
 * DECISION of the same intent), and how often each rule made the difference: a rule that matched in one and not
 * in the other; where the same rules matched with other outcomes (a separate shadow policy set), the shadow's
 * matched rules; {@value #SHADOW_FAILED} where the shadow could not decide.
 */
public record ShadowReport(List<Difference> differences, Map<String, Long> byRule) {

    public static final String SHADOW_FAILED = "(shadow failed)";

    /** One call: what governed it, and what the shadow would have done. */
    public record Difference(String intentId, Instant time, String action, String liveEffect, String liveTier, List<String> liveRules,
                             AuditPayload.ShadowDecision shadow) {
    }

    /** Reads the whole log in {@code dir}. */
    public static ShadowReport of(Path dir) {
        Map<String, AuditPayload.Decision> live = new HashMap<>();
        List<Difference> out = new ArrayList<>();
        Map<String, Long> byRule = new TreeMap<>();
        try (AuditLogReader reader = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = reader.nextEntry()) != null) {
                String id = d.event().intentId();
                for (AuditPayload p : d.payload().steps()) {
                    if (p instanceof AuditPayload.Decision decision) {
                        live.put(id, decision);
                    } else if (p instanceof AuditPayload.ShadowDecision s) {
                        AuditPayload.Decision l = live.remove(id);
                        List<String> liveRules = l == null ? List.of() : l.rules();
                        out.add(new Difference(id, d.event().time(), l == null ? null : l.action(), l == null ? null : l.effect(),
                                l == null ? null : l.tier(), liveRules, s));
                        for (String r : why(liveRules, s)) byRule.merge(r, 1L, Long::sum);
                    } else if (p instanceof AuditPayload.IntentDenied || p instanceof AuditPayload.WarrantIssued
                            || p instanceof AuditPayload.IntentTimedOut) {
                        live.remove(id); // a SHADOW_DECISION follows its DECISION at once: keep only calls still open
                    }
                }
            }
        }
        return new ShadowReport(List.copyOf(out), Collections.unmodifiableMap(byRule));
    }

    private static Set<String> why(List<String> liveRules, AuditPayload.ShadowDecision s) {
        Set<String> rules = new LinkedHashSet<>();
        if (s.error() != null) {
            rules.add(SHADOW_FAILED);
            return rules;
        }
        for (String r : s.rules()) if (!liveRules.contains(r)) rules.add(r);
        for (String r : liveRules) if (!s.rules().contains(r)) rules.add(r);
        if (rules.isEmpty()) rules.addAll(s.rules().isEmpty() ? List.of("(default)") : s.rules());
        return rules;
    }

    /** A plain-text rendering for people: one line per call, then the counts by rule. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(differences.size()).append(differences.size() == 1 ? " call" : " calls").append(" where live and shadow differ\n");
        for (Difference d : differences) {
            AuditPayload.ShadowDecision s = d.shadow();
            sb.append(d.time()).append("  ").append(d.intentId()).append("  ").append(d.action() == null ? "(unknown)" : d.action())
                    .append("  live ").append(d.liveEffect()).append(' ').append(d.liveTier()).append(' ').append(d.liveRules())
                    .append("  shadow ").append(s.effect()).append(' ').append(s.tier()).append(' ').append(s.rules());
            if (s.error() != null) sb.append("  shadow failed: ").append(s.error());
            sb.append('\n');
        }
        sb.append("differences by rule:\n");
        if (byRule.isEmpty()) sb.append("  (none)\n");
        byRule.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }
}
