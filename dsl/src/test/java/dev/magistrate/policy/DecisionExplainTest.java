package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The reason line goes into every DECISION and CALL_GRANTED entry: built once per shared decision, not on every call (issue 14). */
class DecisionExplainTest {

    static final String POLICY = """
            policies:
              - name: reads
                condition: "action == 'read_logs'"
                risk_tier: T0
            """;

    @Test
    void aSharedDecisionExplainsItselfOnceForEveryCallItDecides() {
        CompiledPolicy p = PolicyCompiler.compile(PolicyLoader.parse("p.yaml", POLICY));
        Decision first = p.decide(PolicyRequest.builder("read_logs").arg("lines", 10).build());
        Decision second = p.decide(PolicyRequest.builder("read_logs").arg("lines", 20).build());
        assertEquals("allow at T0 (rules [reads])", first.explain());
        assertSame(first.explain(), second.explain(), "one line for the matched rule set, built once");
    }

    @Test
    void theLineIsTheSameWhenBuiltAgainForAnEqualDecision() {
        Decision approve = new Decision(Effect.APPROVE, Tier.T2, List.of("scale"), 1, List.of("sre"), true, Duration.ofMinutes(10),
                Duration.ofMinutes(2), Map.of(), "v1");
        Decision again = new Decision(Effect.APPROVE, Tier.T2, List.of("scale"), 1, List.of("sre"), true, Duration.ofMinutes(10),
                Duration.ofMinutes(2), Map.of(), "v1");
        assertEquals("approve at T2, 1 approval covering roles [sre], MFA, timeout 10m (rules [scale])", approve.explain());
        assertEquals(approve.explain(), again.explain());
        assertEquals("Decision[" + approve.explain() + "]", approve.toString());
        Decision deny = Decision.failClosed("no policy", "v1");
        assertEquals("deny at T3: rule '(fail-closed)': no policy", deny.explain());
    }
}
