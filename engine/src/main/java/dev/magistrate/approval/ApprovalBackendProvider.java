package dev.magistrate.approval;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The {@link java.util.ServiceLoader} entry point for an approval backend (META-INF/services). */
public interface ApprovalBackendProvider {

    /** The backend's name in configuration. */
    String name();

    /** Creates the backend; {@code settings} come from configuration and are backend-specific. */
    ApprovalBackend create(Map<String, String> settings);

    /** Refuses a setting the backend does not take, naming it and those it does: one check for every backend. */
    static void requireKnownSettings(String backend, Map<String, String> settings, Set<String> known) {
        for (String k : settings.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("the " + backend + " backend takes " + (known.isEmpty() ? "no settings"
                        : String.join(" and ", new TreeSet<>(known))) + ", not '" + k + "'");
            }
        }
    }
}
