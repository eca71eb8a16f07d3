package dev.magistrate.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, under the agent: with {@code watch: {policy: true}} the start line says the policy is watched, governed calls
 * are decided as usual, and the watcher's threads never keep the application's JVM alive (it exits when main returns).
 */
class PolicyWatchIT {

    @TempDir
    Path dir;

    @Test
    void aWatchedPolicyGovernsAsUsualAndTheApplicationStillExitsWhenItsMainReturns() throws Exception {
        InterceptionIT.workDir(dir, "watch:\n  policy: true\n");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), dir, AgentRun.appClasspath(), InterceptionIT.APP, "class", "deny");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().matches("(?s).*\\[magistrate] INFO magistrate \\S+ started in .*policy .*policy\\.yaml \\(13 rules, sha256 [0-9a-f]{12}, "
                + "reloaded when its files change\\);.*"), r::toString);
        assertEquals("OK healthy web", r.outcome("class"), r::toString);
        assertTrue(r.outcome("deny").startsWith(InterceptionIT.DENIED), r::toString);
    }
}
