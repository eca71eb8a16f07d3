package dev.magistrate.spring;

import dev.magistrate.annotations.GovernedAction;
import org.springframework.ai.tool.annotation.Tool;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A bean with governed methods: ours, Spring AI's named and unnamed @Tool, and one that is not governed. */
public class OpsTools {

    private final Map<String, Integer> fleet = new HashMap<>(Map.of("web", 10));

    @GovernedAction(value = "scale_service", justification = "why")
    public String scale(String service, int instances, String why) {
        fleet.put(service, instances);
        return service + " now runs " + instances + " instances";
    }

    @Tool(name = "current_capacity", description = "How many instances a service runs")
    public int currentCapacity(String service) {
        return fleet.getOrDefault(service, 0);
    }

    @Tool(description = "Restarts a service")
    public String restart(String service) {
        if (service.equals("db")) throw new IllegalStateException("db cannot restart now");
        return service + " restarted";
    }

    @GovernedAction("terminate_instances")
    public String terminate(List<String> instances) {
        return "terminated " + instances;
    }

    /** A StringBuilder can change after the decision: every call is refused, the body never runs. */
    @GovernedAction("note")
    public String note(StringBuilder text) {
        return "noted " + text;
    }

    /** Governed inside a governed call: its own intent, linked to the outer one. */
    @GovernedAction("runbook")
    public String runbook(String service) {
        return self.restart(service);
    }

    private OpsTools self = this;

    /** The proxy, so that the inner call goes through it (a bean's call to itself bypasses Spring AOP). */
    public void setSelf(OpsTools proxy) {
        this.self = proxy;
    }

    public int instances(String service) {
        return fleet.getOrDefault(service, 0);
    }
}
