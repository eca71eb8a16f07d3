package dev.magistrate.approval;

import java.util.Map;

/** The {@link java.util.ServiceLoader} entry point for an approval backend (META-INF/services). */
public interface ApprovalBackendProvider {

    /** The backend's name in configuration. */
    String name();

    /** Creates the backend; {@code settings} come from configuration and are backend-specific. */
    ApprovalBackend create(Map<String, String> settings);
}
