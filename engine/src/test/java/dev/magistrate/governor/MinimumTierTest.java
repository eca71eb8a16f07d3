package dev.magistrate.governor;

import dev.magistrate.audit.AuditEventType;
import dev.magistrate.intent.Intent;
import dev.magistrate.policy.Decision;
import dev.magistrate.policy.Effect;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tool's minimum tier makes a call stricter than the policy would, and is recorded as the reason. */
class MinimumTierTest {

    static final String POLICY = """
            policies:
              - {name: reads, condition: "action == 'read_logs'", risk_tier: T0}
              - {name: no-wipe, condition: "action == 'wipe'", effect: deny, reason: never}
            """;

    @Test
    void aT0ReadMarkedT1WaitsForOneApprover(@TempDir Path dir) throws Exception {
        try (GovernorHarness h = new GovernorHarness(dir, PolicyCompiler.compile(PolicyLoader.parse("p.yaml", POLICY)))) {
            Intent plain = GovernorHarness.intent("read_logs").build();
            assertEquals(Effect.ALLOW, h.governor.decide(plain).effect());

            Intent floored = GovernorHarness.intent("read_logs").minimumTier(Tier.T1).build();
            Decision d = h.governor.decide(floored);
            assertEquals(Tier.T1, d.tier());
            assertEquals(List.of("reads", "minimum tier T1 set on the tool"), d.matchedRules());

            CompletableFuture<Warrant> pending = h.governor.authorizeAsync(floored);
            h.backend.awaitRequest(floored.id(), java.time.Duration.ofSeconds(5));
            assertFalse(pending.isDone(), "the raised call waits for a person");
            h.backend.approve(floored.id(), "alice");
            Warrant w = pending.get(5, TimeUnit.SECONDS);
            assertEquals(Tier.T1, w.tier());
            assertTrue(h.only(floored.id(), AuditEventType.DECISION).fields().get("rules").toString().contains("minimum tier T1"));
        }
    }

    @Test
    void aFloorNeverUndoesADenial(@TempDir Path dir) {
        try (GovernorHarness h = new GovernorHarness(dir, PolicyCompiler.compile(PolicyLoader.parse("p.yaml", POLICY)))) {
            Decision d = h.governor.decide(GovernorHarness.intent("wipe").minimumTier(Tier.T1).build());
            assertEquals(Effect.DENY, d.effect());
        }
    }
}
