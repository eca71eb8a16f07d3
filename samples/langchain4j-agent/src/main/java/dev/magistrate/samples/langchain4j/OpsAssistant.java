package dev.magistrate.samples.langchain4j;

import dev.langchain4j.service.AiServices;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A LangChain4j AiServices agent. Run it with {@code -javaagent:magistrate-agent.jar=config=magistrate.yaml}:
 * its {@code @Tool} methods are governed by configuration alone, and a denial reaches the model as
 * the tool's result, so the model can read it and try something allowed.
 */
public final class OpsAssistant {

    interface Assistant {
        String chat(String message);
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        OpsTools tools = new OpsTools();
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(new ScriptedModel(out))
                .tools(tools)
                .build();
        String ask = "web is at 97% CPU during a traffic spike; scale it out.";
        out.println("user     > " + ask);
        String answer = assistant.chat(ask);
        out.println("answer   = " + answer);
        out.println("fleet    = web runs " + tools.instances("web") + " instances");
    }
}
