package dev.magistrate.samples.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;

import java.util.HashMap;
import java.util.Map;

/** Ordinary LangChain4j tools. Nothing here knows about Magistrate. */
public class OpsTools {

    private final Map<String, Integer> fleet = new HashMap<>(Map.of("web", 10));

    @Tool(name = "current_capacity", value = "How many instances a service runs")
    public int currentCapacity(@P("the service") String service) {
        return fleet.getOrDefault(service, 0);
    }

    @Tool(name = "scale_service", value = "Sets how many instances a service runs")
    public String scaleService(@P("the service") String service, @P("the number of instances") int instances) {
        fleet.put(service, instances);
        return service + " now runs " + instances + " instances";
    }

    int instances(String service) {
        return fleet.getOrDefault(service, 0);
    }
}
