package dev.magistrate.samples.springai;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A Spring Boot application with a Spring AI {@link ChatClient} whose {@code @Tool} methods live on
 * an ordinary bean. Run it with {@code -javaagent:magistrate-agent.jar=config=magistrate.yaml}: the
 * tools are governed by configuration alone, and a denial reaches the model as the tool's result,
 * so the model can read it and ask for what is allowed. (With magistrate-spring-boot-starter on the
 * class path instead, the same tools are governed through Spring AOP: see the test.)
 */
@SpringBootApplication
public class OpsAssistantApplication {

    static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    public static void main(String[] args) {
        SpringApplication.run(OpsAssistantApplication.class, args).close();
    }

    @Bean
    ChatClient chatClient(OpsTools tools) {
        return ChatClient.builder(new ScriptedChatModel(OUT)).defaultTools(tools).build();
    }

    @Bean
    ApplicationRunner conversation(ChatClient chat, OpsTools tools) {
        return args -> {
            String ask = "web is at 97% CPU during a traffic spike; scale it out.";
            OUT.println("user     > " + ask);
            OUT.println("answer   = " + chat.prompt().user(ask).call().content());
            OUT.println("fleet    = web runs " + tools.instances("web") + " instances");
        };
    }
}
