package dev.magistrate.spring;

import dev.magistrate.annotations.GovernedAction;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A bean whose scale fails, with the compensating method the engine calls through the bean's proxy. */
public class RollbackTools {

    final List<String> done = new CopyOnWriteArrayList<>();

    @GovernedAction(value = "scale_service", rollback = "scale_back")
    public String scale(String service, int instances) {
        throw new IllegalStateException("quota exceeded scaling " + service + " to " + instances);
    }

    @GovernedAction("scale_back")
    public String scaleBack(String service) {
        done.add("back " + service + " on " + Thread.currentThread().getName());
        return service + " restored";
    }

    /** Names a rollback that is final: the proxy could not govern it, so it is reported when the bean is proxied, and never run. */
    @GovernedAction(value = "delete_service", rollback = "undelete_service")
    public String delete(String service) {
        throw new IllegalStateException("delete failed");
    }

    @GovernedAction("undelete_service")
    public final String undelete(String service) {
        done.add("undelete " + service);
        return service + " back";
    }
}
