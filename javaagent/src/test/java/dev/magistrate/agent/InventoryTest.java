package dev.magistrate.agent;

import dev.magistrate.agent.internal.InventoryCommand;
import dev.magistrate.cli.MagistrateCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 15, inventory: what the agent would govern, read from a class path without loading it, and the tool it would miss. */
class InventoryTest {

    static final String TEST_CLASSES = Path.of("target/test-classes").toAbsolutePath().toString();

    record Run(int status, String out) {
    }

    static Run inventory(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
        String[] argv = new String[args.length + 1];
        argv[0] = "inventory";
        System.arraycopy(args, 0, argv, 1, args.length);
        int status = MagistrateCli.run(argv, p, p, List.of(new InventoryCommand()));
        return new Run(status, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aForgottenToolMethodIsNamedAndFailsTheInventory() {
        Run r = inventory("--classpath", TEST_CLASSES, "--tool-annotation", "example.app.Tool");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("NOT GOVERNED") && l.contains("example.app.FrameworkTools#weather(String)")
                && l.contains("@example.app.Tool is a tool annotation, but not in magistrate.govern.annotations")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("GOVERNED") && l.contains("db_query")), "@GovernedAction is always governed: " + r.out());
    }

    @Test
    void withTheConfigurationEveryToolIsGovernedUnderTheNameAPolicyWrites(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                policies:
                  - {name: weather, condition: "action == 'lookup_weather'", risk_tier: T0}
                  - {name: big-spend, condition: "cost > 1000", risk_tier: T3}
                  - {name: other, condition: "action == 'deploy'", risk_tier: T2}
                """);
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                govern:
                  annotations: [example.app.Tool]
                  methods: ['example.app.Framework*#delete*']
                """);
        Run r = inventory("--classpath", TEST_CLASSES, "--config", dir.resolve("magistrate.yaml").toString(), "--tool-annotation", "example.app.Tool");
        assertEquals(0, r.status(), r.out());
        String weather = r.out().lines().filter(l -> l.contains("FrameworkTools#weather")).findFirst().orElseThrow();
        assertTrue(weather.startsWith("GOVERNED      lookup_weather") && weather.endsWith("rules: weather; for any action: big-spend"), weather);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("GOVERNED      terminate ") && l.contains("rules: none by name; for any action: big-spend")),
                "the method's name when the annotation gives none: " + r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("GOVERNED      FrameworkTools#deleteBucket")), "a pattern match is Class#method: " + r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.contains("listBuckets")), "a method nothing selects is not listed: " + r.out());
        assertTrue(r.out().contains(" tool methods NOT governed") && r.out().contains(", 0 tool methods NOT governed"), r.out());
    }

    @Test
    void withRequireAForgottenToolIsListedAsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("magistrate.yaml"), "require: [example.app.Tool]\n");
        Run r = inventory("--classpath", TEST_CLASSES, "--config", dir.resolve("magistrate.yaml").toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("REFUSED") && l.contains("example.app.FrameworkTools#weather(String)")
                && l.contains("magistrate.require refuses every call")), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("GOVERNED") && l.contains("FrameworkTools#weather")), r.out());
    }
}
