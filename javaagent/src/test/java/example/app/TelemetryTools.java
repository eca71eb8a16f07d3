package example.app;

import dev.magistrate.annotations.CallDeniedException;
import dev.magistrate.annotations.GovernedAction;

/** Two governed tools, one allowed and one denied by the telemetry tests' policy. Uses nothing but the annotations. */
public class TelemetryTools {

    /** An argument value the tests look for, and must not find, in what is exported. */
    public static final String SECRET = "acct-4111-SECRET-9917";

    @GovernedAction("health_check")
    public String health(String service) {
        return "healthy " + service;
    }

    @GovernedAction("drop_table")
    public String drop(String table) {
        return "dropped " + table;
    }

    /** One allowed call and one denied call, each printed as a CASE line. */
    static void calls() {
        TelemetryTools tools = new TelemetryTools();
        System.out.println("CASE t0 OK " + tools.health(SECRET));
        try {
            System.out.println("CASE denied RAN " + tools.drop(SECRET));
        } catch (CallDeniedException e) {
            System.out.println("CASE denied DENIED");
        }
    }

    /** The application without any OpenTelemetry on its class path. */
    public static void main(String[] args) {
        calls();
    }
}
