package dev.magistrate.samples.langchain4j;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A LangChain4j AiServices agent. Run it with {@code -javaagent:magistrate-agent.jar=config=magistrate.yaml}:
 * its {@code @Tool} methods are governed by configuration alone, and a denial reaches the model as
 * the tool's result, so the model can read it and try something allowed.
 *
 * <p>With the argument {@code approve-later} (and {@code approve-later/magistrate.yaml}), a call that needs a person
 * does not hold the conversation: the tool answers "pending" at once, the model tells the user, and the user comes back
 * once it is approved (here: a line on standard input), when the model makes the same call again, which runs it.
 */
public final class OpsAssistant {

    interface Assistant {
        String chat(String message);
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        OpsTools tools = new OpsTools();
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(new ScriptedModel(out))
                .chatMemory(MessageWindowChatMemory.withMaxMessages(20))
                .tools(tools)
                .build();
        boolean later = args.length > 0 && args[0].equals("approve-later");
        String ask = later ? "Black Friday starts in an hour: scale web to 40." : "web is at 97% CPU during a traffic spike; scale it out.";
        out.println("user     > " + ask);
        out.println("answer   = " + assistant.chat(ask));
        if (later) {
            out.println("(the conversation is free: approve the request, then press Enter)");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            String back = "It is approved; go ahead.";
            out.println("user     > " + back);
            out.println("answer   = " + assistant.chat(back));
        }
        out.println("fleet    = web runs " + tools.instances("web") + " instances");
    }
}
