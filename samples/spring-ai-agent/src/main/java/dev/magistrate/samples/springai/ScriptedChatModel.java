package dev.magistrate.samples.springai;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;

import java.io.PrintStream;
import java.util.List;

/**
 * Stands in for the LLM (no network, no model download): it answers the way a model does, with tool
 * calls, and reads the tool results that Spring AI's tool-calling loop sends back, a denial's text
 * included. It first asks for too much, then for what the denial says is allowed.
 */
public final class ScriptedChatModel implements ChatModel {

    private final PrintStream out;
    private int calls;

    public ScriptedChatModel(PrintStream out) {
        this.out = out;
    }

    /** Options that carry tools: without them ChatClient has nowhere to put the tool callbacks, and no tool runs. */
    @Override
    public ChatOptions getOptions() {
        return ToolCallingChatOptions.builder().build();
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        List<Message> messages = prompt.getInstructions();
        String toolResult = messages.get(messages.size() - 1) instanceof ToolResponseMessage r ? r.getResponses().get(0).responseData() : null;
        if (toolResult != null) out.println("model    < tool result: " + toolResult);
        AssistantMessage answer;
        if (toolResult == null) {
            answer = call("scale_service", "{\"service\":\"web\",\"instances\":200}");
        } else if (toolResult.contains("DENIED") && toolResult.contains("25 or fewer")) {
            answer = call("scale_service", "{\"service\":\"web\",\"instances\":25}");
        } else {
            answer = new AssistantMessage("Scaled web to 25 instances. I first asked for 200, which policy refuses for an agent; 25 is the most I may run.");
            out.println("model    > " + answer.getText());
        }
        return new ChatResponse(List.of(new Generation(answer)));
    }

    private AssistantMessage call(String tool, String arguments) {
        out.println("model    > calls " + tool + " " + arguments);
        return AssistantMessage.builder().toolCalls(List.of(new AssistantMessage.ToolCall("call-" + (++calls), "function", tool, arguments))).build();
    }
}
