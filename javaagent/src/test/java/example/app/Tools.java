package example.app;

import dev.magistrate.annotations.Arg;
import dev.magistrate.annotations.GovernedAction;

/** Tool methods of every shape the agent must govern. Uses nothing but the annotations. */
public class Tools {

    /** Declared on an interface: implementations are governed without repeating the annotation. */
    public interface Scaler {
        @GovernedAction("scale_service")
        String scale(String service, int instances);
    }

    /** Declared on a superclass method that subclasses override. */
    public abstract static class BaseDeployer {
        @GovernedAction(value = "deploy", resource = "prod/web")
        public String deploy(String environment) {
            return "base deploy " + environment;
        }
    }

    public static class Deployer extends BaseDeployer {
        @Override
        public String deploy(String environment) {
            return "deployed to " + environment;
        }
    }

    public static class CloudScaler implements Scaler {
        @Override
        public String scale(String service, int instances) {
            return service + " scaled to " + instances;
        }
    }

    /** What Spring's CGLIB proxy of a tool bean looks like to the agent: a generated subclass that hands the call to the bean. */
    public static class CloudScaler$$SpringCGLIB$$0 extends CloudScaler {
        private final CloudScaler target = new CloudScaler();

        @Override
        public String scale(String arg0, int arg1) {
            return target.scale(arg0, arg1);
        }
    }

    @GovernedAction("health_check")
    public String health(String service) {
        return "healthy " + service;
    }

    @GovernedAction("db_query")
    public String query(String table, String sql) {
        return "ran " + sql;
    }

    @GovernedAction("purge_cache")
    public static int purge(String region) {
        return 42;
    }

    @GovernedAction(value = "refund_order", cost = "amount", justification = "why")
    public String refund(String order, double amount, String why) {
        return "refunded " + order;
    }

    @GovernedAction("rename")
    public String rename(@Arg("from_name") String a, @Arg("to_name") String b) {
        return a + "->" + b;
    }

    /** Calls another governed method: two intents, the inner one a child of the outer. */
    @GovernedAction("runbook")
    public String runbook(String service) {
        return "runbook: " + health(service);
    }

    @GovernedAction("fails")
    public String fails(String why) {
        throw new IllegalStateException("tool failed: " + why);
    }

    @GovernedAction("slow_approval")
    public String needsApproval(String what) {
        return "approved " + what;
    }

    /** The policy allows health checks at T0; this one is marked as needing at least T2. */
    @GovernedAction(value = "health_check", minimumTier = GovernedAction.Tier.T2)
    public String strictHealth(String service) {
        return "strictly healthy " + service;
    }

    @GovernedAction("email_customers")
    public void email(String segment) {
        // a void tool
    }

    /** Governed default and static methods of an interface: they have bodies, so they are instrumented. */
    public interface Inventory {
        @GovernedAction("db_query")
        default String dropVia(String table, String sql) {
            return "ran " + sql;
        }

        @GovernedAction("db_query")
        static String dropStatic(String table, String sql) {
            return "ran " + sql;
        }
    }

    public static class DefaultInventory implements Inventory {
    }
}
