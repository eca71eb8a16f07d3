package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Tier;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every chat message about one request shows, in one order, as plain text (each channel escapes it its own
 * way: it comes from the agent and is untrusted). Values are cut to {@link #MAX_VALUE} characters: within what Slack
 * and Teams accept per field, and small enough that Slack's button callback, which carries the whole message back
 * (JSON, then form-encoded), stays under the console's 64 KiB body limit. The console shows them whole.
 */
record RequestFacts(String intentId, String action, Tier tier, boolean votable, Map<String, String> fields, String consoleLink) {

    static final int MAX_VALUE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    static RequestFacts of(ApprovalRequest r, Instant now, URI consoleUrl) {
        Intent i = r.intent();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("Agent", i.agent());
        f.put("Action", i.action() + (i.resource() != null ? " on " + i.resource() : ""));
        f.put("Tier", r.decision().tier().name() + (r.mfaRequired() ? " (MFA required)" : ""));
        f.put("Cost", i.estimatedCost() == null ? null : i.estimatedCost().toString());
        f.put("Urgency", i.urgency());
        f.put("Required", r.requiredApprovals() + " approval" + (r.requiredApprovals() == 1 ? "" : "s")
                + (r.requiredRoles().isEmpty() ? "" : ", roles " + String.join(", ", r.requiredRoles())));
        f.put("Time left", timeLeft(Duration.between(now, r.deadline())) + " (until " + r.deadline() + ")");
        f.put("Rules", r.decision().matchedRules().isEmpty() ? "(default)" : String.join(", ", r.decision().matchedRules()));
        f.put("Justification", i.justification());
        f.put("Arguments", i.argsCanonicalJson());
        f.put("Rollback", i.rollbackPlan());
        f.replaceAll((k, v) -> v == null || v.isBlank() ? null : cut(v));
        f.values().removeIf(v -> v == null);
        boolean votable = r.decision().tier() != Tier.T3 && !r.mfaRequired();
        return new RequestFacts(r.intentId(), i.action(), r.decision().tier(), votable, f, consoleUrl.toString());
    }

    /** The short fields (shown side by side), then the long ones. */
    static final List<String> LONG = List.of("Justification", "Arguments", "Rollback");

    String title() {
        return "Approval needed: " + cut(action, 100) + " (" + tier + ")";
    }

    /** The request as the generic webhook posts it. */
    ObjectNode json(ApprovalRequest r, String event) {
        ObjectNode o = JSON.createObjectNode();
        o.put("event", event);
        o.put("intent_id", intentId);
        o.put("agent", r.intent().agent());
        o.put("action", r.intent().action());
        o.put("resource", r.intent().resource());
        o.put("tier", tier.name());
        o.put("cost", r.intent().estimatedCost() == null ? null : r.intent().estimatedCost().toString());
        o.put("urgency", r.intent().urgency());
        o.put("justification", r.intent().justification());
        o.put("rollback_plan", r.intent().rollbackPlan());
        try {
            o.set("args", JSON.readTree(r.intent().argsCanonicalJson()));
        } catch (IOException impossible) {
            o.put("args", r.intent().argsCanonicalJson());
        }
        o.set("matched_rules", JSON.valueToTree(r.decision().matchedRules()));
        o.put("required_approvals", r.requiredApprovals());
        o.set("required_roles", JSON.valueToTree(r.requiredRoles()));
        o.put("mfa_required", r.mfaRequired());
        o.put("deadline", r.deadline().toString());
        o.put("votable", votable);
        o.put("console_url", consoleLink);
        return o;
    }

    static String timeLeft(Duration d) {
        if (d.isNegative() || d.isZero()) return "none";
        long s = d.toSeconds();
        if (s < 120) return s + " s";
        if (s < 7200) return s / 60 + " min";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    static String cut(String s) {
        return cut(s, MAX_VALUE);
    }

    static String cut(String s, int max) {
        if (s == null || s.length() <= max) return s;
        int end = Character.isHighSurrogate(s.charAt(max - 2)) ? max - 2 : max - 1;
        return s.substring(0, end) + "…";
    }
}
