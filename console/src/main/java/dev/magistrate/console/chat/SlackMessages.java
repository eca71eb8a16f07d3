package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Block Kit messages for {@code chat.postMessage}, {@code chat.update} and {@code chat.postEphemeral}: a header,
 * the request's facts as section fields, and an actions block whose buttons carry the intent id as their value.
 * Every value from the request is escaped ({@code & < >}), so an agent's justification cannot become a link or
 * an {@code @channel} mention.
 */
final class SlackMessages {

    static final String VOTE_BLOCK = "magistrate_vote";
    static final String APPROVE = "magistrate_approve";
    static final String DENY = "magistrate_deny";
    static final String MORE_INFO = "magistrate_more_info";
    /** Slack's limits: header text 150 characters, a section's fields 10. */
    private static final int HEADER_MAX = 150;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SlackMessages() {
    }

    /** The message asking for a decision; {@code note} (an escalation) goes above the facts when not null. */
    static ObjectNode request(String channel, RequestFacts f, String note) {
        ObjectNode m = message(channel, escape(f.title()));
        ArrayNode blocks = m.putArray("blocks");
        blocks.add(header(f.title()));
        if (note != null) blocks.add(section(":rotating_light: *" + escape(note) + "*"));
        facts(blocks, f);
        if (f.votable()) {
            ObjectNode actions = blocks.addObject().put("type", "actions").put("block_id", VOTE_BLOCK);
            ArrayNode buttons = actions.putArray("elements");
            buttons.add(button("Approve", APPROVE, f.intentId(), "primary"));
            buttons.add(button("Deny", DENY, f.intentId(), "danger"));
            buttons.add(button("More Info", MORE_INFO, f.intentId(), null));
        } else {
            // No buttons: a T3 or MFA approval needs a TOTP step-up, which only the console can take.
            blocks.add(section(":lock: This request needs a TOTP step-up (" + f.tier() + " or MFA), so it is decided in the console: <"
                    + f.consoleLink() + "|open the console>."));
        }
        blocks.add(context("intent `" + escape(f.intentId()) + "` · <" + f.consoleLink() + "|Magistrate console>"));
        return m;
    }

    /** The same message once decided: who, when and how, and no buttons. */
    static ObjectNode decided(String channel, String ts, RequestFacts f, String outcome) {
        String title = "Decided: " + RequestFacts.cut(f.action(), 100) + " (" + f.tier() + ")";
        ObjectNode m = message(channel, escape(title + ": " + outcome));
        m.put("ts", ts);
        ArrayNode blocks = m.putArray("blocks");
        blocks.add(header(title));
        blocks.add(section("*" + escape(outcome) + "*"));
        facts(blocks, f);
        blocks.add(context("intent `" + escape(f.intentId()) + "` · <" + f.consoleLink() + "|Magistrate console>"));
        return m;
    }

    /** A reply only the person who pressed a button sees. */
    static ObjectNode ephemeral(String channel, String user, String text) {
        return message(channel, escape(text)).put("user", user);
    }

    private static ObjectNode message(String channel, String text) {
        ObjectNode m = JSON.createObjectNode();
        m.put("channel", channel);
        m.put("text", text); // the notification's fallback text
        return m;
    }

    private static void facts(ArrayNode blocks, RequestFacts f) {
        ObjectNode shortFacts = blocks.addObject().put("type", "section");
        ArrayNode fields = shortFacts.putArray("fields");
        for (Map.Entry<String, String> e : f.fields().entrySet()) {
            if (RequestFacts.LONG.contains(e.getKey())) continue;
            fields.addObject().put("type", "mrkdwn").put("text", "*" + e.getKey() + "*\n" + escape(e.getValue()));
        }
        for (String name : RequestFacts.LONG) {
            String v = f.fields().get(name);
            if (v == null) continue;
            blocks.add(section("*" + name + "*\n" + (name.equals("Arguments") ? "```" + escape(v) + "```" : escape(v))));
        }
    }

    private static ObjectNode header(String text) {
        ObjectNode h = JSON.createObjectNode().put("type", "header");
        h.putObject("text").put("type", "plain_text").put("text", RequestFacts.cut(text, HEADER_MAX));
        return h;
    }

    private static ObjectNode section(String mrkdwn) {
        ObjectNode s = JSON.createObjectNode().put("type", "section");
        s.putObject("text").put("type", "mrkdwn").put("text", mrkdwn);
        return s;
    }

    private static ObjectNode context(String mrkdwn) {
        ObjectNode c = JSON.createObjectNode().put("type", "context");
        c.putArray("elements").addObject().put("type", "mrkdwn").put("text", mrkdwn);
        return c;
    }

    private static ObjectNode button(String label, String actionId, String value, String style) {
        ObjectNode b = JSON.createObjectNode().put("type", "button").put("action_id", actionId).put("value", value);
        b.putObject("text").put("type", "plain_text").put("text", label);
        if (style != null) b.put("style", style);
        return b;
    }

    /** Slack's three control characters; everything else shows as written. */
    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
