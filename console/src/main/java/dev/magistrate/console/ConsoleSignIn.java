package dev.magistrate.console;

import dev.magistrate.approval.ApprovalContext;
import dev.magistrate.approval.Approver;
import dev.magistrate.approval.ApproverToken;
import dev.magistrate.approval.AttemptLimiter;
import dev.magistrate.approval.PasswordHash;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a sign-in: an approver id with that approver's console password (Argon2id) or personal token. Every attempt,
 * let in or not, is audited as an {@code ACCESS} entry naming the claimed id, never the secret. A refusal says the same
 * thing whatever went wrong (unknown id, no password set, wrong password), and costs the same Argon2id derivation, so
 * neither the message nor the time tells which ids exist.
 *
 * <p>Guessing is limited twice with {@link AttemptLimiter}: per claimed approver id ({@link AttemptLimiter#MAX_FAILURES}
 * failures in a row lock that id, from anywhere) and per client address ({@link #MAX_FAILURES_PER_ADDRESS}, more, since on
 * loopback every local user shares 127.0.0.1). While locked nothing is checked, so even the right password is refused.
 * Both tables are bounded ({@link #MAX_TRACKED}). The fleet service signs in with it too, personal tokens only
 * ({@code passwords} false: a password is refused like a wrong token), auditing through its own {@link ApprovalContext}.
 */
public final class ConsoleSignIn {

    static final int MAX_FAILURES_PER_ADDRESS = 20;
    static final int MAX_TRACKED = 10_000;
    public static final String REFUSED = "Sign-in failed: wrong approver id or password, or sign-in is locked for a while after repeated failures.";
    public static final String REFUSED_TOKEN = "Sign-in failed: wrong approver id or personal token, or sign-in is locked for a while after repeated failures.";

    /** An id with no password still costs one derivation against this, so timing does not reveal unknown ids. */
    private static final PasswordHash DECOY = PasswordHash.parse(PasswordHash.create("decoy, never matches".toCharArray()));

    /** Who got in, and how (for the audit and the vote's credential). */
    public record SignedIn(Approver approver, String how) {
    }

    private final ApprovalContext context;
    private final boolean passwords;
    private final Map<String, AttemptLimiter> byApprover = bounded();
    private final Map<String, AttemptLimiter> byAddress = bounded();

    ConsoleSignIn(ApprovalContext context) {
        this(context, true);
    }

    /** {@code passwords}: whether a console password from the directory signs in (else only a personal token does). */
    public ConsoleSignIn(ApprovalContext context, boolean passwords) {
        this.context = context;
        this.passwords = passwords;
    }

    /** What a refused person reads: the same whatever went wrong. */
    public String refusal() {
        return passwords ? REFUSED : REFUSED_TOKEN;
    }

    /** The approver, or empty after auditing the refusal. Clears {@code secret}. */
    public Optional<SignedIn> attempt(String approverId, char[] secret, String address) {
        try {
            Instant now = context.clock().instant();
            String claimed = approverId == null ? "" : approverId.strip();
            if (claimed.isEmpty() || claimed.length() > 128) claimed = "(no valid id)";
            AttemptLimiter perId;
            AttemptLimiter perAddress;
            synchronized (this) {
                perId = byApprover.computeIfAbsent(claimed, k -> new AttemptLimiter());
                perAddress = byAddress.computeIfAbsent(address, k -> new AttemptLimiter(MAX_FAILURES_PER_ADDRESS));
                Instant lockedId = perId.lockedUntil(now);
                Instant lockedAddress = perAddress.lockedUntil(now);
                if (lockedId != null || lockedAddress != null) {
                    context.recordAccess(ConsoleApprovalBackend.NAME, claimed, false, null, "sign-in refused unchecked: "
                            + (lockedId != null ? "approver id locked until " + lockedId : "address " + address + " locked until " + lockedAddress));
                    return Optional.empty();
                }
            }
            Optional<SignedIn> found = check(claimed, secret);
            synchronized (this) {
                if (found.isPresent()) {
                    perId.success();
                    perAddress.success();
                    context.recordAccess(ConsoleApprovalBackend.NAME, claimed, true, null, "signed in from " + address + " with " + found.get().how());
                    return found;
                }
                Instant idLock = perId.failure(now);
                Instant addressLock = perAddress.failure(now);
                context.recordAccess(ConsoleApprovalBackend.NAME, claimed, false, null, "sign-in refused from " + address
                        + ": wrong or unknown credential" + (idLock != null ? "; approver id locked until " + idLock : "")
                        + (addressLock != null ? "; address locked until " + addressLock : ""));
                return Optional.empty();
            }
        } finally {
            if (secret != null) Arrays.fill(secret, '\0');
        }
    }

    private Optional<SignedIn> check(String claimed, char[] secret) {
        Optional<Approver> a = context.approvers().find(claimed);
        if (secret == null || secret.length == 0) {
            DECOY.matches("x".toCharArray());
            return Optional.empty();
        }
        if (new String(secret, 0, Math.min(secret.length, ApproverToken.PREFIX.length())).equals(ApproverToken.PREFIX)) {
            DECOY.matches(secret); // a token check is cheap: spend the same time as a password
            return a.filter(x -> x.tokenMatches(new String(secret))).map(x -> new SignedIn(x, "personal token"));
        }
        if (!passwords || a.isEmpty() || !a.get().hasPassword()) {
            DECOY.matches(secret);
            return Optional.empty();
        }
        return a.get().passwordMatches(secret) ? Optional.of(new SignedIn(a.get(), "password")) : Optional.empty();
    }

    private static Map<String, AttemptLimiter> bounded() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, AttemptLimiter> eldest) {
                return size() > MAX_TRACKED;
            }
        };
    }
}
