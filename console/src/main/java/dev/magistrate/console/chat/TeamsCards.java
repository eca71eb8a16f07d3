package dev.magistrate.console.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Adaptive Cards (schema 1.5) in the message envelope a Teams incoming webhook takes. Values from the request are
 * {@code TextRun}s in {@code RichTextBlock}s, which Teams renders literally (a {@code TextBlock} would render an
 * agent's Markdown, links included). Vote buttons are {@code Action.Submit} with data {@code {intent, verdict}}.
 */
final class TeamsCards {

    static final String SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
    static final String CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TeamsCards() {
    }

    static ObjectNode request(RequestFacts f, String note) {
        ObjectNode card = card();
        ArrayNode body = card.putArray("body");
        body.add(text(f.title(), true, null));
        if (note != null) body.add(text(note, true, "Attention"));
        facts(body, f);
        ArrayNode actions = card.putArray("actions");
        if (f.votable()) {
            actions.add(submit("Approve", f.intentId(), "approve", "positive"));
            actions.add(submit("Deny", f.intentId(), "deny", "destructive"));
            actions.add(submit("More Info", f.intentId(), "more_info", null));
        } else {
            body.add(text("This request needs a TOTP step-up (" + f.tier() + " or MFA), so it is decided in the console.", false, "Warning"));
        }
        actions.addObject().put("type", "Action.OpenUrl").put("title", "Open the console").put("url", f.consoleLink());
        return envelope(card);
    }

    /**
     * The card once decided. An incoming webhook cannot edit what it posted, so this is a second message; editing in
     * place needs a Teams bot (Bot Framework: the activity id from sending the card, then updateActivity).
     */
    static ObjectNode decided(RequestFacts f, String outcome) {
        ObjectNode card = card();
        ArrayNode body = card.putArray("body");
        body.add(text("Decided: " + f.action() + " (" + f.tier() + ")", true, null));
        body.add(text(outcome, true, "Good"));
        facts(body, f);
        card.putArray("actions").addObject().put("type", "Action.OpenUrl").put("title", "Open the console").put("url", f.consoleLink());
        return envelope(card);
    }

    /** The synchronous answer to an outgoing-webhook call: Teams shows it in the thread. */
    static ObjectNode reply(String text) {
        return JSON.createObjectNode().put("type", "message").put("text", text);
    }

    private static ObjectNode card() {
        return JSON.createObjectNode().put("$schema", SCHEMA).put("type", "AdaptiveCard").put("version", "1.5");
    }

    private static ObjectNode envelope(ObjectNode card) {
        ObjectNode m = JSON.createObjectNode().put("type", "message");
        ObjectNode a = m.putArray("attachments").addObject().put("contentType", CONTENT_TYPE);
        a.putNull("contentUrl");
        a.set("content", card);
        return m;
    }

    private static void facts(ArrayNode body, RequestFacts f) {
        for (Map.Entry<String, String> e : f.fields().entrySet()) {
            ObjectNode block = body.addObject().put("type", "RichTextBlock");
            ArrayNode inlines = block.putArray("inlines");
            inlines.addObject().put("type", "TextRun").put("text", e.getKey() + ": ").put("weight", "Bolder");
            inlines.addObject().put("type", "TextRun").put("text", e.getValue()).put("fontType", e.getKey().equals("Arguments") ? "Monospace" : "Default");
        }
        ObjectNode id = text("intent " + f.intentId(), false, null);
        ((ObjectNode) id.get("inlines").get(0)).put("isSubtle", true);
        body.add(id);
    }

    private static ObjectNode text(String s, boolean bold, String color) {
        ObjectNode block = JSON.createObjectNode().put("type", "RichTextBlock");
        ObjectNode run = block.putArray("inlines").addObject().put("type", "TextRun").put("text", s);
        if (bold) run.put("weight", "Bolder");
        if (color != null) run.put("color", color);
        return block;
    }

    private static ObjectNode submit(String title, String intent, String verdict, String style) {
        ObjectNode a = JSON.createObjectNode().put("type", "Action.Submit").put("title", title);
        if (style != null) a.put("style", style);
        a.putObject("data").put("intent", intent).put("verdict", verdict);
        return a;
    }
}
