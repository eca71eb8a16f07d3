package dev.magistrate.spring;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * The audit trail's Chronicle Queue logs file mappings and an announcement at INFO: warnings and
 * errors only, as under the agent. The lowest-precedence default: application.yaml's
 * {@code logging.level.net.openhft} still wins.
 */
final class QuietChronicle implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        environment.getPropertySources().addLast(new MapPropertySource("magistrate-defaults", Map.of("logging.level.net.openhft", "warn")));
    }
}
