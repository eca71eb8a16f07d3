package dev.magistrate.approval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds approval backends by name among the providers on the class path. */
public final class ApprovalBackends {

    private ApprovalBackends() {
    }

    public static ApprovalBackend create(String name, Map<String, String> settings) {
        return create(name, settings, ApprovalBackends.class.getClassLoader());
    }

    public static ApprovalBackend create(String name, Map<String, String> settings, ClassLoader loader) {
        List<String> names = new ArrayList<>();
        for (ApprovalBackendProvider p : ServiceLoader.load(ApprovalBackendProvider.class, loader)) {
            if (p.name().equals(name)) return p.create(settings);
            names.add(p.name());
        }
        throw new IllegalArgumentException("no approval backend named '" + name + "'; available: " + names);
    }

    public static List<String> available() {
        List<String> names = new ArrayList<>();
        for (ApprovalBackendProvider p : ServiceLoader.load(ApprovalBackendProvider.class, ApprovalBackends.class.getClassLoader())) {
            names.add(p.name());
        }
        return names;
    }
}
