package dev.magistrate.samples.ops;

import dev.magistrate.annotations.CallDeniedException;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The ops agent. Its planner is scripted (deterministic, no model, no network) and replays the
 * night that motivates Magistrate: a DDoS, an agent that wants 200 servers, and the other calls
 * people meet in practice. Run it under the agent (see magistrate.yaml); it prints what it tries,
 * what happened and how long it waited, then the bill.
 */
public final class OpsAgent {

    private record Step(String what, String outcome, long waitedMs, boolean ran) {
    }

    private final OpsTools tools;
    private final SimulatedCloud cloud;
    private final PrintStream out;
    private final List<Step> timeline = new ArrayList<>();

    OpsAgent(SimulatedCloud cloud, PrintStream out) {
        this.cloud = cloud;
        this.tools = new OpsTools(cloud);
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        boolean interactive = List.of(args).contains("--interactive");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ConsoleClient console = ConsoleClient.connect(Path.of("target/demo-run/console.json"), Duration.ofSeconds(30));
        ApproverDesk desk = null;
        if (interactive) {
            out.println("The approver desk is YOU, in the web console. Open");
            out.println();
            out.println("    " + console.url() + "/");
            out.println();
            out.println("and sign in as one of the sample's approvers (DEMO passwords in demo-approvers.txt), e.g. sam / sam-demo-password.");
            out.println("The 200-instance scale-up is T3: dana and chris approve it with their authenticator codes, which this prints (run in samples/ops-agent):");
            out.println("    java -jar ../../javaagent/target/magistrate-agent.jar approvers totp-code --secret-file demo-secrets/dana.totp");
            out.println("The agent waits for each decision (up to the policy's timeout).");
        } else {
            desk = new ApproverDesk(console, out);
            Thread deskThread = new Thread(desk, "approver-desk");
            deskThread.setDaemon(true);
            deskThread.start();
            out.println("The approver desk is SCRIPTED: it votes through the approval console as that night's on-call people did.");
        }
        out.println();
        new OpsAgent(new SimulatedCloud(), out).run();
        if (desk != null) desk.stop();
    }

    void run() {
        out.println("monitor  ! 03:12 web CPU at 97% for 5 minutes, requests x40 from 9,000 addresses: a DDoS");
        call("health_check web", () -> tools.healthCheck("web"));

        double big = SimulatedCloud.overnightCost(10, 200);
        out.printf("agent    > CPU is pegged; scaling web from 10 to 200 instances (about $%,.0f overnight)%n", big);
        String denial = call("scale web 10 -> 200", () -> tools.scaleService("web", 10, 200, big,
                "CPU at 97% for 5 minutes; scale out to absorb the load"));
        if (denial != null) {
            out.println("agent    > the approvers refused. Their reason says 25 covers real traffic: asking for 25.");
            double small = SimulatedCloud.overnightCost(10, 25);
            call("scale web 10 -> 25", () -> tools.scaleService("web", 10, 25, small,
                    "real traffic needs 25 at peak; the CDN absorbs the flood (approvers' advice)"));
        }

        out.println("agent    > cost cleanup: instances i-dr-eu-1 and i-dr-eu-2 have had no traffic for 30 days");
        call("terminate i-dr-eu-1, i-dr-eu-2", () -> tools.terminateInstances(List.of("i-dr-eu-1", "i-dr-eu-2"),
                "no traffic for 30 days; looks unused"));

        out.println("agent    > the compliance table is large and slows backups: dropping it");
        call("DROP TABLE compliance_audit_2026", () -> tools.runDatabaseOperation("compliance_audit_2026",
                "DROP TABLE compliance_audit_2026"));

        out.println("agent    > ticket ENT-4471: an enterprise customer asks for a $5,000 SLA credit");
        call("refund ENT-4471 $5,000", () -> tools.refundOrder("ENT-4471", 5000.0, "SLA breach during the outage"));

        call("email enterprise customers", () -> tools.emailCustomers("enterprise", "Incident notice: elevated latency, resolved"));
        call("list instances", tools::listInstances);

        printTimeline();
        printBill(big);
    }

    /** Runs one tool call; returns null when it ran, or the denial text the agent reads. */
    private String call(String what, Supplier<String> tool) {
        long t0 = System.nanoTime();
        try {
            String result = tool.get();
            long waited = (System.nanoTime() - t0) / 1_000_000;
            out.printf("tool     = %s (%d ms)%n", result, waited);
            timeline.add(new Step(what, "done", waited, true));
            return null;
        } catch (CallDeniedException e) {
            long waited = (System.nanoTime() - t0) / 1_000_000;
            // Magistrate's denial: its message is written for the agent to read.
            out.printf("denied   ! %s (%d ms)%n", e.getMessage(), waited);
            timeline.add(new Step(what, "DENIED", waited, false));
            return e.getMessage();
        }
    }

    private void printTimeline() {
        out.println();
        out.println("What the agent saw (the audit trail below has tiers, approvers and warrant ids):");
        out.printf("  %-34s %-8s %8s%n", "call", "outcome", "waited");
        for (Step s : timeline) out.printf("  %-34s %-8s %6d ms%n", s.what(), s.outcome(), s.waitedMs());
    }

    private void printBill(double prevented) {
        out.println();
        out.printf("Overnight bill for the scale-out: $%,.0f (web at %d instances).%n", cloud.committedOvernight(), cloud.instances("web"));
        out.printf("The $%,.0f for 200 instances %s. DR standbys %s; compliance table %s; refunds $%,.0f.%n", prevented,
                cloud.instances("web") >= 200 ? "WAS SPENT" : "did not happen", cloud.drStandbysLeft() == 2 ? "kept" : "TERMINATED",
                cloud.tables().contains("compliance_audit_2026") ? "kept" : "LOST", cloud.refunded());
    }
}
