package dev.magistrate.spring;

import dev.magistrate.engine.MagistrateSettings;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's application.yaml (a plain fence starting with {@code # application.yaml}: the agent's DocSnippetsTest
 * loads YAML fences with the agent's loaders) binds to {@link MagistrateProperties} with no key left over, and makes
 * engine settings.
 */
class ReadmeApplicationYamlTest {

    @Test
    void theReadmesApplicationYamlBindsEveryKey() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int start = -1;
        for (int i = 1; i < lines.size() && start < 0; i++) {
            if (lines.get(i - 1).strip().equals("```") && lines.get(i).strip().equals("# application.yaml")) start = i;
        }
        assertTrue(start > 0, "the README has a fence starting with '# application.yaml'");
        StringBuilder yaml = new StringBuilder();
        for (int i = start; !lines.get(i).strip().equals("```"); i++) yaml.append(lines.get(i)).append('\n');

        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("README.md",
                new ByteArrayResource(yaml.toString().getBytes(StandardCharsets.UTF_8)));
        Binder binder = new Binder(ConfigurationPropertySources.from(sources));
        BindResult<MagistrateProperties> bound = binder.bind("magistrate", Bindable.of(MagistrateProperties.class),
                new NoUnboundElementsBindHandler(BindHandler.DEFAULT)); // a misspelt key fails here
        assertTrue(bound.isBound(), yaml::toString);
        MagistrateSettings settings = bound.get().settings();
        assertEquals("ops-agent", settings.agentId());
        assertTrue(settings.policy() != null, "the snippet names a policy");
    }

    @Test
    void theDocsNameTheJvmFlagsTheStarterChecks() throws Exception {
        assertTrue(Files.readAllLines(Path.of("..", "docs", "spring-boot.md")).contains(ChronicleAccess.flags()), ChronicleAccess.flags());
    }
}
