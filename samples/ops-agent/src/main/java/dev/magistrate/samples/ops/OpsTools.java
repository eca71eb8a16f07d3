package dev.magistrate.samples.ops;

import dev.magistrate.annotations.GovernedAction;

import java.util.List;

/**
 * The agent's tools: plain methods, one annotation each. No Magistrate code is called here; under
 * {@code -javaagent:magistrate-agent.jar} every call is decided, approved and audited before its body runs.
 */
public class OpsTools {

    private final SimulatedCloud cloud;

    OpsTools(SimulatedCloud cloud) {
        this.cloud = cloud;
    }

    @GovernedAction("health_check")
    public String healthCheck(String service) {
        return service + ": " + cloud.instances(service) + " instances, CPU 97%, p99 latency 2.4 s";
    }

    @GovernedAction("list_instances")
    public String listInstances() {
        return cloud.fleet().toString();
    }

    @GovernedAction(value = "scale_service", cost = "estimatedCost", justification = "justification")
    public String scaleService(String service, int from, int to, double estimatedCost, String justification) {
        cloud.scale(service, to);
        return service + " scaled from " + from + " to " + to + " instances";
    }

    @GovernedAction(value = "terminate_instances", justification = "justification")
    public String terminateInstances(List<String> instances, String justification) {
        cloud.terminate(instances);
        return "terminated " + instances;
    }

    @GovernedAction("run_database_operation")
    public String runDatabaseOperation(String table, String sql) {
        if (sql.toLowerCase().startsWith("drop table")) cloud.dropTable(table);
        return "executed: " + sql;
    }

    @GovernedAction(value = "refund_order", justification = "reason")
    public String refundOrder(String order, double amount, String reason) {
        cloud.refund(amount);
        return String.format("refunded $%,.2f on %s", amount, order);
    }

    @GovernedAction("email_customers")
    public String emailCustomers(String segment, String subject) {
        cloud.email(segment);
        return "emailed the " + segment + " segment: " + subject;
    }
}
