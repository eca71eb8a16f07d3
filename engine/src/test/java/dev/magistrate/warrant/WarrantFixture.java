package dev.magistrate.warrant;

import dev.magistrate.governor.MutableClock;
import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.policy.Tier;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Real keys, a real ledger file and a hand-moved clock in a temporary directory. */
final class WarrantFixture implements AutoCloseable {

    final Path dir;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T22:00:00.000Z"));
    final KeySet keys;
    final ConsumedWarrantLedger ledger;
    final WarrantIssuer issuer;
    final WarrantVerifier verifier;

    WarrantFixture(Path dir) {
        this.dir = dir;
        this.keys = KeyDirectory.openOrCreate(dir.resolve("keys")).warrantKeys();
        this.ledger = ConsumedWarrantLedger.open(dir.resolve("consumed-warrants.log"), clock);
        this.issuer = new WarrantIssuer(keys, clock, SignatureAlgorithm.HMAC_SHA256);
        this.verifier = new WarrantVerifier(keys, ledger, clock, Duration.ofSeconds(5));
    }

    static Intent scaleIntent(int instances) {
        return Intent.builder("scale_service").agent("ops-agent").resource("svc/web").arg("service", "web").arg("instances", instances).build();
    }

    Warrant issueT2(Intent intent) {
        return issuer.issue(intent, Tier.T2, List.of("alice", "bob"), List.of(Constraint.max("instances", 25)), Duration.ofMinutes(5));
    }

    Warrant issueT0(Intent intent) {
        return issuer.issue(intent, Tier.T0, List.of(), List.of(), Duration.ofMinutes(1));
    }

    @Override
    public void close() {
        ledger.close();
    }
}
