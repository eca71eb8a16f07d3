package dev.magistrate.warrant;

import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.WarrantKey;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a warrant lets this exact call run now, and uses it up. Checks in this order,
 * each failing with its own {@link RejectionReason}: key id known (no other key is tried), algorithm
 * the key's own, signature, validity window (with bounded clock skew), action, constraints, argument
 * digest, and last, single use (recorded durably in the {@link ConsumedWarrantLedger}). The ledger is
 * touched only when everything else passed, so a refused warrant is never used up.
 */
public final class WarrantVerifier {

    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(5);

    private final KeySet keys;
    private final ConsumedWarrantLedger ledger;
    private final Clock clock;
    private final Duration clockSkew;

    public WarrantVerifier(KeySet keys, ConsumedWarrantLedger ledger, Clock clock, Duration clockSkew) {
        this(Objects.requireNonNull(ledger, "ledger"), keys, clock, clockSkew);
    }

    /**
     * A verifier that checks everything except single use ({@link #checkWithoutConsuming}), for a caller that records
     * consumption itself (the fleet service, in PostgreSQL); its {@link #verifyAndConsume} refuses to run.
     */
    public static WarrantVerifier withoutLedger(KeySet keys, Clock clock, Duration clockSkew) {
        return new WarrantVerifier(null, keys, clock, clockSkew);
    }

    private WarrantVerifier(ConsumedWarrantLedger ledger, KeySet keys, Clock clock, Duration clockSkew) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.ledger = ledger;
        this.clock = Objects.requireNonNull(clock, "clock");
        if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("clock skew must be between 0 and 5 minutes, got " + clockSkew);
        }
        this.clockSkew = clockSkew;
    }

    /** Parses the JSON form, then {@link #verifyAndConsume(Warrant, String, Map)}. */
    public Warrant verifyAndConsume(String warrantJson, String action, Map<String, ?> args) {
        return verifyAndConsume(Warrant.fromJson(warrantJson), action, args);
    }

    /** Returns the warrant when the call may run; throws {@link WarrantRejectedException} otherwise. */
    public Warrant verifyAndConsume(Warrant w, String action, Map<String, ?> args) {
        if (ledger == null) throw new IllegalStateException("this verifier has no ledger of consumed warrants; it only checks");
        checkWithoutConsuming(w, action, args);
        boolean first;
        try {
            first = ledger.consume(w.warrantId(), w.expiresAt());
        } catch (UncheckedIOException e) {
            throw new WarrantRejectedException(RejectionReason.LEDGER_FAILURE, w.warrantId(), e.getMessage(), e);
        }
        if (!first) throw reject(RejectionReason.REPLAYED, w, "already used; a warrant authorises one call");
        return w;
    }

    /** Every check except single use: for inspecting a warrant (the CLI) without spending it. */
    public void checkWithoutConsuming(Warrant w, String action, Map<String, ?> args) {
        Optional<WarrantKey> found = keys.key(w.keyId());
        if (found.isEmpty()) throw reject(RejectionReason.UNKNOWN_KEY, w, "no key with id '" + w.keyId() + "' in " + keys.path());
        WarrantKey key = found.get();
        if (key.algorithm() != w.algorithm()) {
            throw reject(RejectionReason.ALGORITHM_MISMATCH, w, "key '" + w.keyId() + "' is for " + key.algorithm().wireName()
                    + ", the warrant claims " + w.algorithm().wireName());
        }
        if (!key.verify(w.signingInput(), w.signature())) {
            throw reject(RejectionReason.BAD_SIGNATURE, w, "signature does not match the warrant's content under key '" + w.keyId() + "'");
        }
        Instant now = clock.instant();
        if (now.isBefore(w.notBefore().minus(clockSkew))) {
            throw reject(RejectionReason.NOT_YET_VALID, w, "valid from " + w.notBefore() + ", now is " + now);
        }
        if (now.isAfter(w.expiresAt().plus(clockSkew))) {
            throw reject(RejectionReason.EXPIRED, w, "expired at " + w.expiresAt() + ", now is " + now);
        }
        if (!w.action().equals(action)) {
            throw reject(RejectionReason.ACTION_MISMATCH, w, "issued for action '" + w.action() + "', presented for '" + action + "'");
        }
        for (Constraint c : w.constraints()) {
            Optional<String> violation = c.violation(args);
            if (violation.isPresent()) throw reject(RejectionReason.CONSTRAINT_VIOLATED, w, "approved only with " + c.describe() + ", but " + violation.get());
        }
        String digest;
        try {
            digest = CanonicalJson.argsDigest(args);
        } catch (IllegalArgumentException e) {
            throw reject(RejectionReason.ARGS_MISMATCH, w, "the call's arguments cannot be encoded: " + e.getMessage());
        }
        if (!digest.equals(w.argsDigest())) {
            throw reject(RejectionReason.ARGS_MISMATCH, w, "the call's arguments differ from those approved (digest " + digest
                    + ", approved " + w.argsDigest() + ")");
        }
    }

    private static WarrantRejectedException reject(RejectionReason reason, Warrant w, String detail) {
        return new WarrantRejectedException(reason, w.warrantId(), detail);
    }
}
