package dev.magistrate.samples.springai;

import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Ordinary Spring AI tools on an ordinary bean. Nothing here knows about Magistrate. */
@Component
public class OpsTools {

    private final Map<String, Integer> fleet = new ConcurrentHashMap<>(Map.of("web", 10));

    @Tool(name = "current_capacity", description = "How many instances a service runs")
    public int currentCapacity(@ToolParam(description = "the service") String service) {
        return fleet.getOrDefault(service, 0);
    }

    @Tool(name = "scale_service", description = "Sets how many instances a service runs")
    public String scaleService(@ToolParam(description = "the service") String service,
                               @ToolParam(description = "the number of instances") int instances) {
        fleet.put(service, instances);
        return service + " now runs " + instances + " instances";
    }

    public int instances(String service) {
        return fleet.getOrDefault(service, 0);
    }
}
