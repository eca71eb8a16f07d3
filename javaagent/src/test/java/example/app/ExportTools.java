package example.app;

import dev.magistrate.annotations.GovernedAction;

/** A real {@code boolean} parameter, for rules written with its text form ('true'). */
public class ExportTools {

    @GovernedAction("export_data")
    public String export(String dataset, boolean sensitive) {
        return "exported " + dataset + (sensitive ? " (sensitive)" : "");
    }
}
