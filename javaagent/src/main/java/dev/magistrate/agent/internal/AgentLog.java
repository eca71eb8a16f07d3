package dev.magistrate.agent.internal;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The agent's own log: one line per message on stderr, prefixed {@code [magistrate]}, filtered by
 * {@code magistrate.log.level} (error, warn, info, debug; default info). It never goes through the
 * application's logging, and Chronicle's SLF4J output is routed here too ({@link Slf4jToAgentLog}).
 */
public final class AgentLog {

    public enum Level { ERROR, WARN, INFO, DEBUG }

    private static volatile Level threshold = Level.INFO;
    private static final PrintStream OUT = System.err;

    static {
        // Read early, so that what happens before the configuration is loaded can be logged too.
        String early = System.getProperty("magistrate.log.level", System.getenv("MAGISTRATE_LOG_LEVEL"));
        if (early != null) setLevel(early);
    }

    private AgentLog() {
    }

    static void setLevel(String level) {
        if (level == null) return;
        try {
            threshold = Level.valueOf(level.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            warn("unknown magistrate.log.level '" + level + "' (use error, warn, info or debug); keeping " + threshold);
        }
    }

    public static boolean enabled(Level level) {
        return level.ordinal() <= threshold.ordinal();
    }

    public static void log(Level level, String message, Throwable error) {
        if (!enabled(level)) return;
        StringBuilder sb = new StringBuilder("[magistrate] ").append(level).append(' ').append(message);
        if (error != null) sb.append(": ").append(error);
        OUT.println(sb);
    }

    public static void error(String message) { log(Level.ERROR, message, null); }

    public static void warn(String message) { log(Level.WARN, message, null); }

    public static void info(String message) { log(Level.INFO, message, null); }

    public static void debug(String message) { log(Level.DEBUG, message, null); }
}
