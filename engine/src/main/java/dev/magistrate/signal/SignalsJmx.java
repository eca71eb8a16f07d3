package dev.magistrate.signal;

import dev.magistrate.log.MagistrateLog;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.Map;

/** Registers a {@link SignalBoard} on the platform MBean server; closing unregisters it. */
public final class SignalsJmx implements AutoCloseable {

    public static final String OBJECT_NAME = "dev.magistrate:type=Signals";

    private final ObjectName name;
    private final boolean registered;

    private SignalsJmx(ObjectName name, boolean registered) {
        this.name = name;
        this.registered = registered;
    }

    /**
     * Registers the board. When another Magistrate in this JVM already holds the name, this one is not registered
     * (a warning says so): the JVM has one platform MBean server, and a signal must reach one board unambiguously.
     */
    public static SignalsJmx register(SignalBoard board) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name;
        try {
            name = new ObjectName(OBJECT_NAME);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
        try {
            server.registerMBean(new StandardMBean(new Adapter(board), SignalsMBean.class), name);
            return new SignalsJmx(name, true);
        } catch (InstanceAlreadyExistsException e) {
            MagistrateLog.warn(SignalsJmx.class, OBJECT_NAME + " is already registered by another Magistrate in this JVM:"
                    + " signals set over JMX reach that one, not this one", null);
            return new SignalsJmx(name, false);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + OBJECT_NAME + ": " + e, e);
        }
    }

    public boolean registered() {
        return registered;
    }

    @Override
    public void close() {
        if (!registered) return;
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (JMException e) {
            MagistrateLog.warn(SignalsJmx.class, "cannot unregister " + OBJECT_NAME, e);
        }
    }

    private record Adapter(SignalBoard board) implements SignalsMBean {
        @Override
        public void setSignal(String name, double value) {
            board.set(name, value);
        }

        @Override
        public void clearSignal(String name) {
            board.clear(name);
        }

        @Override
        public Map<String, Double> getSignals() {
            return board.values();
        }
    }
}
