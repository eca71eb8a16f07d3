package dev.magistrate.warrant;

import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import dev.magistrate.policy.Tier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarrantVerifierTest {

    @TempDir
    Path dir;
    WarrantFixture f;

    @BeforeEach
    void setUp() {
        f = new WarrantFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private static Map<String, Object> args(String service, Object instances) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("instances", instances);
        m.put("service", service);
        return m;
    }

    private RejectionReason rejection(Warrant w, String action, Map<String, ?> args) {
        return assertThrows(WarrantRejectedException.class, () -> f.verifier.verifyAndConsume(w, action, args)).reason();
    }

    @Test
    void jsonFormRoundTripsLosslessly() {
        Intent intent = WarrantFixture.scaleIntent(25);
        for (Warrant w : List.of(f.issueT2(intent), f.issueT0(intent))) {
            String json = w.toJson();
            Warrant back = Warrant.fromJson(json);
            assertEquals(w, back);
            assertEquals(json, back.toJson());
            assertEquals(w.expiresAt(), back.expiresAt());
            assertEquals(w.constraints(), back.constraints());
            assertTrue(json.contains("\"warrant_id\"") && json.contains("\"execution\":{\"action\":\"scale_service\""), json);
            assertTrue(json.contains(w.tier() == Tier.T0 ? "\"approved_by\":[]" : "\"approved_by\":[\"alice\",\"bob\"]"), json);
        }
        assertEquals(SignatureAlgorithm.ED25519, f.issueT2(intent).algorithm(), "human-approved tiers sign with Ed25519");
        assertEquals(SignatureAlgorithm.HMAC_SHA256, f.issueT0(intent).algorithm(), "T0 signs with HMAC");
    }

    @Test
    void validWarrantPassesOnceForTheExactCall() {
        Warrant w = f.issueT2(WarrantFixture.scaleIntent(25));
        f.verifier.verifyAndConsume(w, "scale_service", args("web", 25L)); // 25L: same value, another Java type
        assertEquals(RejectionReason.REPLAYED, rejection(w, "scale_service", args("web", 25)));
    }

    @Test
    void eachReasonIsReportedPrecisely() {
        Intent intent = WarrantFixture.scaleIntent(20);
        assertEquals(RejectionReason.ACTION_MISMATCH, rejection(f.issueT2(intent), "delete_service", args("web", 20)));
        assertEquals(RejectionReason.ARGS_MISMATCH, rejection(f.issueT2(intent), "scale_service", args("api", 20)));
        assertEquals(RejectionReason.ARGS_MISMATCH, rejection(f.issueT2(intent), "scale_service", args("web", 21)));
        WarrantRejectedException over = assertThrows(WarrantRejectedException.class,
                () -> f.verifier.verifyAndConsume(f.issueT2(intent), "scale_service", args("web", 40)));
        assertEquals(RejectionReason.CONSTRAINT_VIOLATED, over.reason());
        assertTrue(over.getMessage().contains("instances <= 25"), over.getMessage());

        Warrant expiring = f.issueT2(intent);
        f.clock.advance(Duration.ofMinutes(5).plusSeconds(6));
        assertEquals(RejectionReason.EXPIRED, rejection(expiring, "scale_service", args("web", 20)));

        Warrant early = f.issueT2(intent);
        f.clock.advance(Duration.ofSeconds(-6));
        assertEquals(RejectionReason.NOT_YET_VALID, rejection(early, "scale_service", args("web", 20)));
        f.clock.advance(Duration.ofSeconds(2)); // 4 s early: within the tolerated skew
        f.verifier.verifyAndConsume(early, "scale_service", args("web", 20));
    }

    @Test
    void unknownKeyIdIsRejectedWithoutTryingOtherKeys() {
        Warrant w = f.issueT2(WarrantFixture.scaleIntent(20));
        // Same content and a signature that the real key would accept, but under a key id the directory lacks.
        Warrant renamed = new Warrant(w.warrantId(), w.intentId(), w.action(), w.argsDigest(), w.constraints(), w.tier(), w.approvedBy(),
                w.issuedAt(), w.notBefore(), w.expiresAt(), "ed25519-0000000000000000", w.algorithm(), w.signature());
        WarrantRejectedException e = assertThrows(WarrantRejectedException.class,
                () -> f.verifier.verifyAndConsume(renamed, "scale_service", args("web", 20)));
        assertEquals(RejectionReason.UNKNOWN_KEY, e.reason());
    }

    @Test
    void algorithmConfusionIsRejected() {
        Intent intent = WarrantFixture.scaleIntent(20);
        Warrant w = f.issueT2(intent);
        WarrantKey hmac = f.keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        // Claims HMAC under the Ed25519 key id (e.g. HMAC keyed with the public key): refused before any signature check.
        Warrant confused = new Warrant(w.warrantId(), w.intentId(), w.action(), w.argsDigest(), w.constraints(), w.tier(), w.approvedBy(),
                w.issuedAt(), w.notBefore(), w.expiresAt(), w.keyId(), SignatureAlgorithm.HMAC_SHA256, new byte[32]);
        assertEquals(RejectionReason.ALGORITHM_MISMATCH, rejection(confused, "scale_service", args("web", 20)));
        String none = w.toJson().replace("\"algorithm\":\"Ed25519\"", "\"algorithm\":\"none\"");
        assertEquals(RejectionReason.MALFORMED,
                assertThrows(WarrantRejectedException.class, () -> f.verifier.verifyAndConsume(none, "scale_service", args("web", 20))).reason());
        assertTrue(hmac.canSign());
    }

    @Test
    void badSignatureIsRejectedAndDoesNotConsume() {
        Warrant w = f.issueT2(WarrantFixture.scaleIntent(20));
        byte[] sig = w.signature();
        sig[10] ^= 0x01;
        Warrant forged = new Warrant(w.warrantId(), w.intentId(), w.action(), w.argsDigest(), w.constraints(), w.tier(), w.approvedBy(),
                w.issuedAt(), w.notBefore(), w.expiresAt(), w.keyId(), w.algorithm(), sig);
        assertEquals(RejectionReason.BAD_SIGNATURE, rejection(forged, "scale_service", args("web", 20)));
        f.verifier.verifyAndConsume(w, "scale_service", args("web", 20));
    }

    @Test
    void manyThreadsPresentingOneWarrantExactlyOneSucceeds() throws Exception {
        for (int round = 0; round < 20; round++) {
            Warrant w = round % 2 == 0 ? f.issueT0(WarrantFixture.scaleIntent(5)) : f.issueT2(WarrantFixture.scaleIntent(5));
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<RejectionReason>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        f.verifier.verifyAndConsume(w.toJson(), "scale_service", args("web", 5));
                        return null;
                    } catch (WarrantRejectedException e) {
                        return e.reason();
                    }
                }));
            }
            start.countDown();
            int ok = 0;
            for (Future<RejectionReason> r : results) {
                RejectionReason reason = r.get();
                if (reason == null) ok++;
                else assertEquals(RejectionReason.REPLAYED, reason);
            }
            pool.shutdown();
            assertEquals(1, ok, "round " + round);
        }
    }

    @Test
    void replayAfterRestartIsRejected() throws Exception {
        Warrant w = f.issueT2(WarrantFixture.scaleIntent(20));
        String json = w.toJson();
        f.verifier.verifyAndConsume(json, "scale_service", args("web", 20));
        f.close();
        // A new process: new key directory and ledger instances on the same files.
        KeySet keys = KeyDirectory.open(dir.resolve("keys")).warrantKeys();
        try (ConsumedWarrantLedger ledger = ConsumedWarrantLedger.open(dir.resolve("consumed-warrants.log"), f.clock)) {
            WarrantVerifier verifier = new WarrantVerifier(keys, ledger, f.clock, Duration.ofSeconds(5));
            WarrantRejectedException e = assertThrows(WarrantRejectedException.class,
                    () -> verifier.verifyAndConsume(json, "scale_service", args("web", 20)));
            assertEquals(RejectionReason.REPLAYED, e.reason());
            // A fresh warrant still works after the restart.
            Warrant fresh = new WarrantIssuer(keys, f.clock, SignatureAlgorithm.HMAC_SHA256).issue(WarrantFixture.scaleIntent(20), Tier.T1,
                    List.of("alice"), List.of(), Duration.ofMinutes(1));
            verifier.verifyAndConsume(fresh, "scale_service", args("web", 20));
        }
        f = new WarrantFixture(dir); // for tearDown
    }

    @Test
    void tornLastLineOfTheLedgerIsCutAndOldEntriesCompacted() throws Exception {
        Warrant w = f.issueT0(WarrantFixture.scaleIntent(1));
        f.verifier.verifyAndConsume(w, "scale_service", args("web", 1));
        f.close();
        Path log = dir.resolve("consumed-warrants.log");
        Files.writeString(log, "expired-id\t1000\n", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(log, "half-writ", java.nio.file.StandardOpenOption.APPEND);
        try (ConsumedWarrantLedger reopened = ConsumedWarrantLedger.open(log, f.clock)) {
            assertTrue(reopened.isConsumed(w.warrantId()));
            assertEquals(1, reopened.size());
            assertEquals(w.warrantId() + "\t" + w.expiresAt().toEpochMilli() + "\n", Files.readString(log));
            assertThrows(IllegalStateException.class, () -> ConsumedWarrantLedger.open(log, f.clock), "one owner at a time");
        }
        Files.writeString(log, "garbage line\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ConsumedWarrantLedger.open(log, f.clock));
        assertTrue(e.getMessage().contains(":1:"), e.getMessage());
        Files.delete(log);
        f = new WarrantFixture(dir);
    }

    @Test
    void aLedgerThatCannotWriteRefusesEveryWarrantFromThenOn() {
        Warrant first = f.issueT0(WarrantFixture.scaleIntent(2));
        Warrant second = f.issueT0(WarrantFixture.scaleIntent(2));
        f.ledger.close(); // the file channel is gone: every write fails
        assertEquals(RejectionReason.LEDGER_FAILURE, rejection(first, "scale_service", args("web", 2)));
        assertEquals(RejectionReason.REPLAYED, rejection(first, "scale_service", args("web", 2)), "claimed in memory, never handed out twice");
        assertEquals(RejectionReason.LEDGER_FAILURE, rejection(second, "scale_service", args("web", 2)));
        f = new WarrantFixture(dir);
        f.verifier.verifyAndConsume(second, "scale_service", args("web", 2)); // after a restart: never used, so usable
    }

    @Test
    void rotatedKeysKeepVerifyingIssuedWarrants() {
        Warrant before = f.issueT2(WarrantFixture.scaleIntent(3));
        f.keys.rotate();
        Warrant after = f.issueT2(WarrantFixture.scaleIntent(3));
        assertTrue(!before.keyId().equals(after.keyId()));
        f.verifier.verifyAndConsume(before, "scale_service", args("web", 3));
        f.verifier.verifyAndConsume(after, "scale_service", args("web", 3));
        Warrant third = f.issuer.issue(WarrantFixture.scaleIntent(3), Tier.T2, List.of("a"), List.of(), Duration.ofMinutes(1));
        f.keys.retire(before.keyId());
        Warrant oldKeyed = new Warrant(third.warrantId(), third.intentId(), third.action(), third.argsDigest(), third.constraints(),
                third.tier(), third.approvedBy(), third.issuedAt(), third.notBefore(), third.expiresAt(), before.keyId(), third.algorithm(),
                third.signature());
        assertEquals(RejectionReason.UNKNOWN_KEY, rejection(oldKeyed, "scale_service", args("web", 3)));
    }
}
