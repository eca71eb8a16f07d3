package dev.magistrate.approval;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A person who may vote on intents, with roles and, each optional: the SHA-256 of their personal token (the
 * credential a vote through a remote backend carries, see {@link ApproverToken}), the Argon2id hash of their
 * console password, the TOTP secret that proves it is them at T3, and their Slack and Teams user ids.
 */
public final class Approver {

    private final String id;
    private final String displayName;
    private final Set<String> roles;
    private final byte[] totpSecret;
    private final byte[] tokenSha256;
    private final PasswordHash password;
    private final String slackUserId;
    private final String teamsUserId;

    public Approver(String id, String displayName, List<String> roles, byte[] totpSecret) {
        this(id, displayName, roles, totpSecret, null);
    }

    /** {@code tokenSha256}: the 32-byte SHA-256 of the approver's personal token, or null when none is enrolled. */
    public Approver(String id, String displayName, List<String> roles, byte[] totpSecret, byte[] tokenSha256) {
        this(id, displayName, roles, totpSecret, tokenSha256, null, null, null);
    }

    /**
     * {@code password}: the Argon2id hash of the console password, or null; {@code slackUserId} and {@code teamsUserId}:
     * the person's user ids in Slack and Teams, whose signed chat callbacks count as this approver; null when not mapped.
     */
    public Approver(String id, String displayName, List<String> roles, byte[] totpSecret, byte[] tokenSha256, PasswordHash password,
                    String slackUserId, String teamsUserId) {
        this.password = password;
        this.slackUserId = slackUserId;
        this.teamsUserId = teamsUserId;
        this.id = Objects.requireNonNull(id, "id");
        this.displayName = displayName != null ? displayName : id;
        this.roles = Collections.unmodifiableSet(new LinkedHashSet<>(roles));
        this.totpSecret = totpSecret == null ? null : totpSecret.clone();
        if (tokenSha256 != null && tokenSha256.length != 32) throw new IllegalArgumentException("tokenSha256 is a 32-byte SHA-256");
        this.tokenSha256 = tokenSha256 == null ? null : tokenSha256.clone();
    }

    public String id() { return id; }

    public String displayName() { return displayName; }

    public Set<String> roles() { return roles; }

    public boolean hasTotp() { return totpSecret != null; }

    public boolean hasToken() { return tokenSha256 != null; }

    /** True when {@code presented} is this approver's personal token (constant-time); false when none is enrolled. */
    public boolean tokenMatches(String presented) {
        return ApproverToken.matches(tokenSha256, presented);
    }

    public boolean hasPassword() { return password != null; }

    /** True when {@code presented} is this approver's console password; false when none is set. Costs one Argon2id derivation. */
    public boolean passwordMatches(char[] presented) {
        return password != null && password.matches(presented);
    }

    /** The Slack user id whose signed callbacks vote as this approver, or null. */
    public String slackUserId() { return slackUserId; }

    /** The Teams user id whose signed callbacks vote as this approver, or null. */
    public String teamsUserId() { return teamsUserId; }

    /** Package-private: only the engine's MFA check reads the secret. */
    byte[] totpSecret() { return totpSecret; }

    @Override
    public String toString() {
        return "Approver[" + id + " (" + displayName + ") roles " + roles + (tokenSha256 != null ? ", personal token enrolled" : "")
                + (password != null ? ", password set" : "") + (totpSecret != null ? ", TOTP enrolled" : "")
                + (slackUserId != null ? ", slack " + slackUserId : "") + (teamsUserId != null ? ", teams " + teamsUserId : "") + "]";
    }
}
