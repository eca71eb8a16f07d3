package dev.magistrate.engine;

import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.governor.LivePolicy;
import dev.magistrate.policy.PolicyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A policy that reads a fleet-wide window ({@code count_fleet}, {@code sum_fleet}) needs the fleet service, which keeps its
 * counter: an engine that does not send its calls to the service ({@code approvals: remote}) refuses it at open and at
 * reload (fail closed, the error at the rule), even one that ships its checkpoints to the service. With {@code remote},
 * the calls that read one go to the service: RemoteApprovalsTest in the server module.
 */
class FleetWindowsRefusedTest {

    static final String FLEET_POLICY = """
            default: T0
            policies:
              - name: "Reads"
                condition: "action == 'read'"
                risk_tier: T0
              - name: "Fleet scale-up budget"
                condition: "action == 'scale' and sum_fleet(args.instances, 'scale', 1h) + args.instances > 100"
                effect: deny
                reason: "the fleet's hourly scale-up budget is spent"
            """;

    @TempDir
    Path tmp;

    MagistrateSettings.Builder settings(String yaml) throws Exception {
        Path file = tmp.resolve("policy.yaml");
        Files.writeString(file, yaml);
        return MagistrateSettings.builder().policy(file).auditDirectory(tmp.resolve("audit")).keysDirectory(tmp.resolve("keys"))
                .agentId("ops-agent").signalsJmx(false);
    }

    @Test
    void anEngineWithoutAFleetRefusesToOpenWithAFleetWindowNamingTheRule() throws Exception {
        PolicyException e = assertThrows(PolicyException.class, () -> Magistrate.open(settings(FLEET_POLICY).build()));
        String expected = tmp.resolve("policy.yaml") + ":6:5: rule 'Fleet scale-up budget' reads sum_fleet(args.instances, 'scale', 1h):"
                + " a fleet-wide window, whose counter only the fleet service keeps, and this engine"
                + " does not send its calls to the fleet service";
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("audit")), "refused before anything was opened");
    }

    @Test
    void aReloadThatBringsAFleetWindowIsRefusedAndTheOldPolicyStays() throws Exception {
        try (Magistrate m = Magistrate.open(settings("default: T0\npolicies:\n  - name: \"Reads\"\n    condition: \"action == 'read'\"\n"
                + "    risk_tier: T0\n").build())) {
            String before = m.governor().policy().version();
            Files.writeString(tmp.resolve("policy.yaml"), FLEET_POLICY);
            LivePolicy.Outcome o = m.reloadPolicy("test");
            assertFalse(o.loaded());
            assertTrue(o.error().contains("rule 'Fleet scale-up budget' reads sum_fleet(args.instances, 'scale', 1h): a fleet-wide window"), o.error());
            assertEquals(before, m.governor().policy().version());
        }
    }

    @Test
    void anEngineWhoseFleetIsOnlyItsWitnessRefusesItToo() throws Exception {
        Path token = Files.writeString(tmp.resolve("token"), "mgt_x");
        FleetSettings witnessOnly = new FleetSettings(List.of(URI.create("http://127.0.0.1:1")), token, null);
        PolicyException e = assertThrows(PolicyException.class, () -> Magistrate.open(settings(FLEET_POLICY).fleet(witnessOnly).build()));
        assertTrue(e.getMessage().contains("does not send its calls to the fleet service"), e.getMessage());
    }
}
