package dev.magistrate.approval;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** A person who may vote on intents, with roles, and optionally the TOTP secret that proves it is them. */
public final class Approver {

    private final String id;
    private final String displayName;
    private final Set<String> roles;
    private final byte[] totpSecret;

    public Approver(String id, String displayName, List<String> roles, byte[] totpSecret) {
        this.id = Objects.requireNonNull(id, "id");
        this.displayName = displayName != null ? displayName : id;
        this.roles = Collections.unmodifiableSet(new LinkedHashSet<>(roles));
        this.totpSecret = totpSecret == null ? null : totpSecret.clone();
    }

    public String id() { return id; }

    public String displayName() { return displayName; }

    public Set<String> roles() { return roles; }

    public boolean hasTotp() { return totpSecret != null; }

    /** Package-private: only the engine's MFA check reads the secret. */
    byte[] totpSecret() { return totpSecret; }

    @Override
    public String toString() {
        return "Approver[" + id + " (" + displayName + ") roles " + roles + (totpSecret != null ? ", TOTP enrolled" : "") + "]";
    }
}
