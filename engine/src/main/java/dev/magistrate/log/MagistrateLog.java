package dev.magistrate.log;

import java.util.Objects;

/**
 * Where the engine's few log lines go. By default the JDK's {@link System.Logger}; the javaagent
 * routes them into its own log instead, so that nothing the engine says passes through the
 * application's logging configuration.
 */
public final class MagistrateLog {

    public enum Level { ERROR, WARN, INFO }

    /** Receives every engine log line. */
    @FunctionalInterface
    public interface Sink {
        void log(Class<?> source, Level level, String message, Throwable error);
    }

    private static final Sink SYSTEM_LOGGER = (source, level, message, error) -> System.getLogger(source.getName()).log(
            switch (level) {
                case ERROR -> System.Logger.Level.ERROR;
                case WARN -> System.Logger.Level.WARNING;
                case INFO -> System.Logger.Level.INFO;
            }, message, error);

    private static volatile Sink sink = SYSTEM_LOGGER;

    private MagistrateLog() {
    }

    /** Where lines go now: so that a test or an embedder can route them elsewhere for a while and back. */
    public static Sink current() {
        return sink;
    }

    public static void routeTo(Sink target) {
        sink = Objects.requireNonNull(target, "sink");
    }

    public static void error(Class<?> source, String message, Throwable error) {
        sink.log(source, Level.ERROR, message, error);
    }

    public static void warn(Class<?> source, String message, Throwable error) {
        sink.log(source, Level.WARN, message, error);
    }

    public static void info(Class<?> source, String message) {
        sink.log(source, Level.INFO, message, null);
    }
}
