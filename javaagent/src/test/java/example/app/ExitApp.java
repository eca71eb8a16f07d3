package example.app;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ends early, for the agent's exit-time handling of an engine still starting. {@code return}: main returns at once, no
 * governed call; {@code when-exists PATH}: returns as soon as PATH exists (the engine has begun writing); {@code call}:
 * one governed call, its outcome printed as {@code CASE call ...}; {@code pattern-only}: one call of a method governed by
 * a configured pattern alone ({@code CASE pattern-only ...}).
 */
public final class ExitApp {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "return" -> {
            }
            case "when-exists" -> {
                Path path = Path.of(args[1]);
                for (int i = 0; !Files.exists(path); i++) {
                    if (i == 12_000) throw new AssertionError(path + " did not appear in 60 s");
                    Thread.sleep(5);
                }
            }
            case "call" -> InterceptionApp.run("call", () -> new Tools().health("web"));
            case "pattern-only" -> InterceptionApp.run("pattern-only", () -> new PatternOnlyTools().deleteAll("logs"));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
