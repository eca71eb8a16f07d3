package dev.magistrate.spring;

import dev.magistrate.annotations.CallDeniedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.micrometer.metrics.actuate.endpoint.MetricsEndpoint;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A whole Boot application with Actuator: Magistrate's health and meters are in Actuator's own endpoints. */
@SpringBootTest(properties = {"management.endpoint.health.show-details=always", "spring.jmx.enabled=true",
        "management.endpoints.jmx.exposure.include=health,metrics"})
class ActuatorTest {

    @TempDir
    static Path tmp;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        OpsTools opsTools() {
            return new OpsTools();
        }
    }

    @DynamicPropertySource
    static void magistrate(DynamicPropertyRegistry properties) throws IOException {
        Path policy = Files.writeString(tmp.resolve("policy.yaml"), MagistrateAutoConfigurationTest.POLICY);
        properties.add("magistrate.policy", policy::toString);
        properties.add("magistrate.audit.dir", () -> tmp.resolve("audit").toString());
        properties.add("magistrate.keys.dir", () -> tmp.resolve("keys").toString());
    }

    @Autowired
    OpsTools tools;
    @Autowired
    HealthEndpoint health;
    @Autowired
    MetricsEndpoint metrics;

    @Test
    void healthAndMetersAreInActuatorsEndpoints() {
        assertThrows(CallDeniedException.class, () -> tools.scale("web", 200, "spike"));
        tools.scale("web", 25, "real traffic");

        HealthDescriptor magistrate = health.healthForPath("magistrate");
        assertEquals("UP", magistrate.getStatus().getCode());
        assertTrue(((IndicatedHealthDescriptor) magistrate).getDetails().get("audit").toString().endsWith("audit"), magistrate::toString);

        assertTrue(metrics.listNames().getNames().containsAll(List.of("magistrate.decisions", "magistrate.denials", "magistrate.calls")));
        assertEquals(1.0, metrics.metric("magistrate.denials", List.of("stage:policy")).getMeasurements().get(0).getValue());
        assertEquals(2.0, metrics.metric("magistrate.decisions", List.of("action:scale_service")).getMeasurements().get(0).getValue());
    }
}
