package dev.magistrate.warrant;

import dev.magistrate.intent.Intent;
import dev.magistrate.intent.TimeOrderedId;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import dev.magistrate.policy.Tier;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Signs warrants. T0 warrants are signed with HMAC-SHA256 (well under a microsecond) unless they
 * are meant to leave the process; warrants for human-approved tiers are signed with Ed25519, so
 * anyone holding the public key can check them offline.
 */
public final class WarrantIssuer {

    private final KeySet keys;
    private final Clock clock;
    private final SignatureAlgorithm t0Algorithm;

    public WarrantIssuer(KeySet keys, Clock clock, SignatureAlgorithm t0Algorithm) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.t0Algorithm = Objects.requireNonNull(t0Algorithm, "t0Algorithm");
    }

    public SignatureAlgorithm algorithmFor(Tier tier) {
        return tier == Tier.T0 ? t0Algorithm : SignatureAlgorithm.ED25519;
    }

    /** A warrant for this intent's exact action and arguments, valid from now for {@code ttl}. */
    public Warrant issue(Intent intent, Tier tier, List<String> approvedBy, List<Constraint> constraints, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("warrant ttl must be positive, got " + ttl);
        WarrantKey key = keys.signingKey(algorithmFor(tier));
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Instant expires = now.plus(ttl).truncatedTo(ChronoUnit.MILLIS);
        String warrantId = TimeOrderedId.next();
        byte[] input = Warrant.signingInput(warrantId, intent.id(), intent.action(), intent.argsDigest(), constraints, tier, approvedBy,
                now, now, expires, key.keyId(), key.algorithm());
        return new Warrant(warrantId, intent.id(), intent.action(), intent.argsDigest(), constraints, tier, approvedBy, now, now, expires,
                key.keyId(), key.algorithm(), key.sign(input));
    }
}
