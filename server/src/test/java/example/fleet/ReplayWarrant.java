package example.fleet;

import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.governor.DeniedException;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Another agent process, embedding the engine with {@code magistrate.approvals=remote}, presents a warrant another JVM already
 * spent: {@code DIR URL WARRANT_FILE SERVICE}; prints {@code CASE replay OK} or {@code CASE replay DENIED by: reason}.
 */
public final class ReplayWarrant {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (Magistrate m = Magistrate.open(MagistrateSettings.builder().policy(dir.resolve("policy.yaml")).auditDirectory(dir.resolve("replay-audit"))
                .keysDirectory(dir.resolve("replay-keys")).agentId("ops-agent").signalsJmx(false).telemetry(false).approvals(MagistrateSettings.REMOTE)
                .fleet(new FleetSettings(List.of(URI.create(args[1])), dir.resolve("agent.token"), dir.resolve("fleet-keys.json"))).build())) {
            String warrant = Files.readString(Path.of(args[2]));
            try {
                m.governor().verify(warrant, "deploy", Map.of("service", args[3])).completed("deployed twice");
                System.out.println("CASE replay OK");
            } catch (DeniedException e) {
                System.out.println("CASE replay DENIED " + e.deniedBy() + ": " + e.reason());
            }
        }
    }
}
