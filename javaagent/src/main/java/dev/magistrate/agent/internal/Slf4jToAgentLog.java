package dev.magistrate.agent.internal;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.util.concurrent.ConcurrentHashMap;

/**
 * An SLF4J provider, visible only inside the agent's class loader, that sends what Chronicle logs to
 * {@link AgentLog}: no "SLF4J: no providers" noise on the application's stderr, and no clash with
 * the application's own SLF4J binding. Chronicle's info chatter is shown only at debug level.
 */
public final class Slf4jToAgentLog implements SLF4JServiceProvider {

    private final ConcurrentHashMap<String, Logger> loggers = new ConcurrentHashMap<>();
    private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, AgentLogger::new);
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    @Override public ILoggerFactory getLoggerFactory() { return factory; }

    @Override public IMarkerFactory getMarkerFactory() { return markers; }

    @Override public MDCAdapter getMDCAdapter() { return mdc; }

    @Override public String getRequestedApiVersion() { return "2.0.99"; }

    @Override public void initialize() { }

    private static final class AgentLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        AgentLogger(String name) {
            this.name = name;
        }

        private static AgentLog.Level map(Level level) {
            return switch (level) {
                case ERROR -> AgentLog.Level.ERROR;
                case WARN -> AgentLog.Level.WARN;
                default -> AgentLog.Level.DEBUG;
            };
        }

        @Override public boolean isTraceEnabled() { return false; }

        @Override public boolean isDebugEnabled() { return AgentLog.enabled(AgentLog.Level.DEBUG); }

        @Override public boolean isInfoEnabled() { return AgentLog.enabled(AgentLog.Level.DEBUG); }

        @Override public boolean isWarnEnabled() { return AgentLog.enabled(AgentLog.Level.WARN); }

        @Override public boolean isErrorEnabled() { return AgentLog.enabled(AgentLog.Level.ERROR); }

        @Override protected String getFullyQualifiedCallerName() { return null; }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
            AgentLog.log(map(level), name + ": " + MessageFormatter.basicArrayFormat(pattern, args), t);
        }
    }
}
