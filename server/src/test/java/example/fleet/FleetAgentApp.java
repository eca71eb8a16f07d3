package example.fleet;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.GovernedAction;

/**
 * An application run under the agent with {@code magistrate.approvals=remote}: each argument is one call, {@code NAME=ACTION:SERVICE},
 * and each prints {@code CASE NAME OK result} or {@code CASE NAME DENIED message}.
 */
public final class FleetAgentApp {

    public static class Ops {
        @GovernedAction("scale_service")
        public String scale(String service, int instances) {
            return service + " scaled to " + instances;
        }

        @GovernedAction("deploy")
        public String deploy(String service) {
            return service + " deployed";
        }

        @GovernedAction("read_metrics")
        public String read(String service) {
            return service + " p99 41ms";
        }
    }

    public static void main(String[] args) {
        Ops ops = new Ops();
        for (String a : args) {
            String name = a.substring(0, a.indexOf('=')), action = a.substring(a.indexOf('=') + 1, a.indexOf(':')), service = a.substring(a.indexOf(':') + 1);
            String line;
            try {
                line = "OK " + switch (action) {
                    case "scale" -> ops.scale(service, 12);
                    case "deploy" -> ops.deploy(service);
                    default -> ops.read(service);
                };
            } catch (CallDeniedException e) {
                line = "DENIED " + e.getMessage().replace('\n', ' ');
            }
            System.out.println("CASE " + name + " " + line);
            System.out.flush();
        }
    }
}
