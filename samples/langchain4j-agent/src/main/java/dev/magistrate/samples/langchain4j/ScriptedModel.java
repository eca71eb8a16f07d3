package dev.magistrate.samples.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.io.PrintStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for the LLM (no network, no model download): it answers the way a model does, with
 * tool-execution requests, and reads the tool results it gets back: a denial's text, or word that the call
 * waits for a person's approval (then it tells the user, and makes the same call again when told to go ahead).
 */
final class ScriptedModel implements ChatModel {

    private static final Pattern SCALE_TO = Pattern.compile("to (\\d+)");

    private final PrintStream out;
    private int calls;
    private int asked;

    ScriptedModel(PrintStream out) {
        this.out = out;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        String toolResult = last instanceof ToolExecutionResultMessage r ? r.text() : null;
        if (toolResult != null) out.println("model    < tool result: " + toolResult);
        AiMessage answer;
        if (last instanceof UserMessage user) {
            String text = user.singleText();
            if (!text.contains("approved")) {
                Matcher m = SCALE_TO.matcher(text);
                asked = m.find() ? Integer.parseInt(m.group(1)) : 200;
            }
            // Told it was approved: the same call again, with the same arguments; that call runs what was approved.
            answer = AiMessage.from(call("scale_service", "{\"service\":\"web\",\"instances\":" + asked + "}"));
        } else if (toolResult != null && toolResult.contains("DENIED") && toolResult.contains("25 or fewer")) {
            answer = AiMessage.from(call("scale_service", "{\"service\":\"web\",\"instances\":25}"));
        } else if (toolResult != null && toolResult.startsWith("PENDING")) {
            answer = AiMessage.from("Scaling web to " + asked + " needs a person's approval; I asked for it and will go ahead when you"
                    + " tell me it is approved.");
        } else if (asked == 200) {
            answer = AiMessage.from("Scaled web to 25 instances. I first asked for 200, which policy refuses for an agent; 25 is the most I may run.");
        } else {
            answer = AiMessage.from("Done: " + toolResult + ".");
        }
        if (answer.hasToolExecutionRequests()) {
            for (ToolExecutionRequest t : answer.toolExecutionRequests()) out.println("model    > calls " + t.name() + " " + t.arguments());
        } else {
            out.println("model    > " + answer.text());
        }
        return ChatResponse.builder().aiMessage(answer).build();
    }

    private ToolExecutionRequest call(String tool, String arguments) {
        return ToolExecutionRequest.builder().id("call-" + (++calls)).name(tool).arguments(arguments).build();
    }
}
