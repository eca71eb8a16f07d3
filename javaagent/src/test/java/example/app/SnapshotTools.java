package example.app;

import dev.magistrate.annotations.GovernedAction;

import java.util.ArrayList;
import java.util.List;

/** Arguments that could change between the decision and the body's read. */
public class SnapshotTools {

    /** Runs between the grant and the body's first read of its argument: what another thread could do then. */
    static Runnable beforeRead = () -> { };

    @GovernedAction("terminate_instances")
    public String terminate(List<String> instances) {
        beforeRead.run();
        return String.join(",", instances);
    }

    /** A mutable class as a parameter type: it cannot be snapshotted, so the method is refused. */
    @GovernedAction("write_note")
    public String note(StringBuilder text) {
        return text.toString();
    }

    /** A concrete ArrayList cannot receive an immutable copy: refused too. */
    @GovernedAction("terminate_instances")
    public String terminateConcrete(ArrayList<String> instances) {
        return String.join(",", instances);
    }

    /** Runs the race: the caller's own list gains "i-prod" after the grant. */
    static String race() {
        List<String> mine = new ArrayList<>(List.of("i-1"));
        beforeRead = () -> mine.add("i-prod");
        try {
            return new SnapshotTools().terminate(mine) + " (caller's list now " + mine + ")";
        } finally {
            beforeRead = () -> { };
        }
    }
}
