package dev.magistrate.agent;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, governance context follows async code: a governed call made from work that a governed call handed to a
 * CompletableFuture, an executor, a scheduled executor, the fork-join pool, a Reactor pipeline or a virtual thread names
 * that call as its parent; work handed over outside any governed call names none; a denial inside async work reaches the
 * future as a failure, never a hang.
 */
class AsyncContextIT {

    static final String POLICY = """
            default: T0
            policies:
              - name: no-drop
                condition: "action == 'drop_table'"
                effect: deny
                reason: "dropping tables is never allowed"
            """;
    static final List<String> CASES = List.of("completable", "completable-executor", "executor-submit", "executor-execute", "scheduled",
            "fork-join", "nested-async", "reactor");

    static Path workDir(Path dir, String extra) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("magistrate.yaml"), "policy: policy.yaml\naudit:\n  dir: audit\nkeys:\n  dir: keys\n" + extra);
        return dir;
    }

    static String classpath() {
        return AgentRun.appClasspath(AgentRun.codeSource(Mono.class), AgentRun.codeSource(org.reactivestreams.Publisher.class));
    }

    /** The runbook intent of each case (by its how), and the parent each health check (by its service) names. */
    record Links(Map<String, String> runbooks, Map<String, String> parents) {
        static Links of(Path audit) throws Exception {
            Map<String, String> runbooks = new HashMap<>(), parents = new HashMap<>();
            for (AuditEvent e : InterceptionIT.readAudit(audit)) {
                if (!e.type().steps().contains(AuditEventType.INTENT_SUBMITTED)) continue;
                String args = (String) e.fields().get("args");
                String label = args.replaceAll(".*\"(?:how|service|table)\":\"([^\"]+)\".*", "$1");
                if ("runbook".equals(e.fields().get("action"))) runbooks.put(label, e.intentId());
                else parents.put(e.fields().get("action") + ":" + label, (String) e.fields().get("parent_intent_id"));
            }
            return new Links(runbooks, parents);
        }

        void assertLinked(String how) {
            assertNotNull(runbooks.get(how), "runbook " + how + " in " + runbooks);
            assertEquals(runbooks.get(how), parents.get("health_check:" + how), how + ": the health check names the runbook that handed it over");
        }
    }

    @Test
    void workHandedOverInsideAGovernedCallKeepsItAsParent(@TempDir Path dir) throws Exception {
        List<String> args = new java.util.ArrayList<>(CASES);
        args.add("outside");
        args.add("denied-async");
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, ""), classpath(), "example.app.AsyncApp", args.toArray(String[]::new));
        assertEquals(0, r.exit(), r::toString);
        for (String c : CASES) assertEquals("OK healthy " + c, r.outcome(c), r::toString);
        assertEquals("OK healthy outside", r.outcome("outside"));
        assertTrue(r.outcome("denied-async").startsWith("OK FAILED true DENIED: 'drop_table' was not allowed by policy rule 'no-drop'"),
                "the denial reached the future as its failure, typed: " + r);

        Links links = Links.of(dir.resolve("audit"));
        for (String c : CASES) links.assertLinked(c);
        assertTrue(links.parents().containsKey("health_check:outside"));
        assertNull(links.parents().get("health_check:outside"), "work handed over outside a governed call names no parent,"
                + " even on a pool thread that earlier ran work of a governed call");
        assertEquals(links.runbooks().get("denied-async"), links.parents().get("drop_table:users"), "the denied call is linked too");
    }

    @Test
    void aVirtualThreadStartedInsideAGovernedCallKeepsItAsParent(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(AgentRun.JDK25), "no JDK 25 at " + AgentRun.JDK25);
        AgentRun.Result r = AgentRun.withAgent(AgentRun.JDK25.toString(), workDir(dir, ""), classpath(), "example.app.AsyncApp",
                "virtual", "completable", "reactor", "outside");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("OK healthy virtual", r.outcome("virtual"), r::toString);
        Links links = Links.of(dir.resolve("audit"));
        links.assertLinked("virtual");
        links.assertLinked("completable");
        links.assertLinked("reactor");
        assertNull(links.parents().get("health_check:outside"));
    }

    @Test
    void turnedOffNothingIsLinkedAndNothingBreaks(@TempDir Path dir) throws Exception {
        AgentRun.Result r = AgentRun.withAgent(AgentRun.java(), workDir(dir, "async:\n  context: off\n"), classpath(), "example.app.AsyncApp",
                "completable", "executor-submit");
        assertEquals("OK healthy completable", r.outcome("completable"), r::toString);
        Links links = Links.of(dir.resolve("audit"));
        assertNull(links.parents().get("health_check:completable"));
        assertNull(links.parents().get("health_check:executor-submit"));
    }
}
