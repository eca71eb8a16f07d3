package dev.magistrate.samples.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.io.PrintStream;
import java.util.List;

/**
 * Stands in for the LLM (no network, no model download): it answers the way a model does, with
 * tool-execution requests, and reads the tool results it gets back, including a denial's text.
 */
final class ScriptedModel implements ChatModel {

    private final PrintStream out;
    private int calls;

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
        if (toolResult == null) {
            answer = AiMessage.from(call("scale_service", "{\"service\":\"web\",\"instances\":200}"));
        } else if (toolResult.contains("DENIED") && toolResult.contains("25 or fewer")) {
            answer = AiMessage.from(call("scale_service", "{\"service\":\"web\",\"instances\":25}"));
        } else {
            answer = AiMessage.from("Scaled web to 25 instances. I first asked for 200, which policy refuses for an agent; 25 is the most I may run.");
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
