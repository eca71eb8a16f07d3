package dev.magistrate.samples.ops;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The people who approve, in the scripted demo: it answers each request the way the on-call humans
 * did that night, through the console's API with each person's personal token. With
 * {@code --interactive} there is no script: a person decides in the web console.
 */
final class ApproverDesk implements Runnable {

    /**
     * The demo approvers' personal tokens, whose SHA-256 is in approvers.yaml (demo only: a real token is
     * shown once to its owner and kept by them, never where the agent's process can read it). Votes carry
     * them; the console file's token only reads.
     */
    private static final Map<String, String> DEMO_TOKENS = Map.of(
            "sam", "mgt_XRSQW3AzVtXc4w4j6pL9TM6-J8IHS_qYvJn4gK9SEkQ",
            "riya", "mgt_qmH-zXifnkM4HpGptzHngVj-foSBl312dJm3RgS0rws",
            "dana", "mgt_pVSdLPCLwRCMuagKt_RBBBxFogmz7tRwNVRI2ACUtUQ",
            "chris", "mgt_VkC1ikjNnmDIgnjeTukN74Oum249qAbUjdBLj1Bw2rE",
            "maria", "mgt_KcY7gLceJgDQsk4HTKXJdw9CgScvnh6a1Bu3d6VAaMU",
            "frank", "mgt_ILJLXe9MQnqzPWwiCHLH1TTK8pJI2-7crH6E1D2W3Z0",
            "devon", "mgt_T-27_E1Luv-Mw-XuFeiqkhyOndFQVC6m7RyeLELzTt8");

    private final ConsoleClient console;
    private final PrintStream out;
    private final Set<String> handled = new HashSet<>();
    private volatile boolean running = true;

    ApproverDesk(ConsoleClient console, PrintStream out) {
        this.console = console;
        this.out = out;
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        while (running) {
            try {
                for (JsonNode r : console.pending()) {
                    String id = r.get("intent_id").asText();
                    if (handled.add(id)) decide(r);
                }
                Thread.sleep(40);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                out.println("desk     ! console unreachable: " + e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void decide(JsonNode r) throws Exception {
        String id = r.get("intent_id").asText();
        String action = r.get("action").asText();
        JsonNode args = r.get("args");
        out.printf("desk     ? %s %s needs %s (%d approval%s, roles %s%s)%n", action, args, r.get("tier").asText(),
                r.get("required_approvals").asInt(), r.get("required_approvals").asInt() == 1 ? "" : "s",
                r.get("required_roles"), r.get("mfa").asBoolean() ? ", MFA" : "");
        switch (action) {
            case "scale_service" -> {
                if (args.get("to").asInt() > 25) {
                    vote(id, "sam", false, "200 instances is what the attacker wants us to pay for: the CDN absorbs the flood. "
                            + "25 instances covers real traffic; ask for 25 at most.");
                } else {
                    vote(id, "sam", true, "25 covers real traffic at peak");
                    vote(id, "riya", true, "agreed, 25");
                }
            }
            case "terminate_instances" -> vote(id, "sam", false, "i-dr-eu-1 and i-dr-eu-2 are the disaster-recovery standbys for eu-west: "
                    + "idle by design. Never terminate them; tag them instead.");
            case "refund_order" -> {
                vote(id, "maria", true, "enterprise customer, SLA breach confirmed");
                vote(id, "frank", true, "within the quarter's refund budget");
            }
            case "email_customers" -> vote(id, "maria", true, "incident notice approved");
            default -> vote(id, "sam", false, "not something the desk expected tonight");
        }
    }

    private void vote(String id, String approver, boolean approve, String comment) throws Exception {
        out.printf("desk     %s %s (scripted): %s%n", approve ? "+" : "-", approver, comment);
        JsonNode result = console.vote(id, approver, DEMO_TOKENS.get(approver), approve, comment, null);
        if (!result.path("accepted").asBoolean()) out.println("desk       not counted: " + result.path("rejection").asText());
    }
}
