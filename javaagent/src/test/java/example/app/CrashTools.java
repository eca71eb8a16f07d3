package example.app;

import dev.magistrate.annotations.GovernedAction;

/** A tool whose process dies after its warrant was checked, before it returns: a crash, a kill -9, a power cut. */
public class CrashTools {

    @GovernedAction("health_check")
    public String checkAndDie(String service) {
        System.out.println("BODY-RAN " + service);
        System.out.flush();
        Runtime.getRuntime().halt(137);
        return "never";
    }
}
