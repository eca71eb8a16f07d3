package example.app;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.GovernedAction;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * An application under the agent that publishes a signal the only way it can (the engine is in the agent's own
 * class loader): the platform MBean server. Prints one {@code CASE name ...} line per case.
 */
public final class SignalApp {

    public static class Ops {
        @GovernedAction("deploy")
        public String deploy(String service) {
            return service + " deployed";
        }
    }

    static void signal(String operation, Object... args) throws Exception {
        String[] types = args.length == 2 ? new String[]{String.class.getName(), double.class.getName()} : new String[]{String.class.getName()};
        ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("dev.magistrate:type=Signals"), operation, args, types);
    }

    static String deploy(Ops ops, String service) {
        try {
            return "OK " + ops.deploy(service);
        } catch (CallDeniedException e) {
            return "DENIED " + e.getMessage();
        }
    }

    public static void main(String[] args) throws Exception {
        Ops ops = new Ops();
        System.out.println("CASE calm " + deploy(ops, "web"));
        signal("setSignal", "incident", 1.0);
        System.out.println("CASE incident " + deploy(ops, "api"));
        signal("clearSignal", "incident");
        System.out.println("CASE cleared " + deploy(ops, "db"));
    }
}
