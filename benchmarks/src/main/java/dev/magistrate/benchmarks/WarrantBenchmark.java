package dev.magistrate.benchmarks;

import dev.magistrate.intent.Intent;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.keys.KeySet;
import dev.magistrate.keys.SignatureAlgorithm;
import dev.magistrate.keys.WarrantKey;
import dev.magistrate.policy.Tier;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantIssuer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Signing and verifying a warrant: HMAC-SHA256 (the T0 path) against Ed25519 (approved tiers),
 * and Ed25519 through BouncyCastle (what Magistrate uses) against the JDK's own provider.
 *
 * <p>Every operation works on the real signing input of a warrant issued for a refund call, with
 * Magistrate's keys from a fresh {@link KeyDirectory}. The baseline {@link #sha256} hashes the
 * same bytes: HMAC cannot be cheaper than two SHA-256 compressions of it, so a large gap over the
 * baseline would point at key or object set-up on every call. {@link #issueT0Warrant} is the whole
 * issuing step of a T0 call (ids, timestamps, canonical signing input, HMAC).
 * The message field is not final so that nothing is folded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WarrantBenchmark {

    private Path dir;
    private WarrantKey hmac;
    private WarrantKey ed25519;
    private byte[] message;
    private byte[] hmacSignature;
    private byte[] edSignature;
    private Signature jdkSigner;
    private Signature jdkVerifier;
    private byte[] jdkSignature;
    private MessageDigest sha256;
    private WarrantIssuer issuer;
    private Intent intent;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("magistrate-bench-keys");
        KeySet keys = KeyDirectory.openOrCreate(dir.resolve("keys")).warrantKeys();
        hmac = keys.signingKey(SignatureAlgorithm.HMAC_SHA256);
        ed25519 = keys.signingKey(SignatureAlgorithm.ED25519);
        issuer = new WarrantIssuer(keys, Clock.systemUTC(), SignatureAlgorithm.HMAC_SHA256);
        intent = Intent.builder("refund_order").agent("ops-agent").arg("order_id", "A-10442").arg("amount", 129.90)
                .arg("reason", "duplicate charge").estimatedCost(129.90).build();
        Warrant w = issuer.issue(intent, Tier.T0, List.of(), List.of(), Duration.ofMinutes(5));
        message = w.signingInput();
        hmacSignature = hmac.sign(message);
        edSignature = ed25519.sign(message);

        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        KeyPair pair = g.generateKeyPair();
        jdkSigner = Signature.getInstance("Ed25519");
        jdkSigner.initSign(pair.getPrivate());
        jdkVerifier = Signature.getInstance("Ed25519");
        jdkVerifier.initVerify(pair.getPublic());
        jdkSigner.update(message);
        jdkSignature = jdkSigner.sign();
        sha256 = MessageDigest.getInstance("SHA-256");
        if (!hmac.verify(message, hmacSignature) || !ed25519.verify(message, edSignature) || !jdkVerify()) {
            throw new IllegalStateException("a signature does not verify before timing");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        BenchFiles.deleteTree(dir);
    }

    /** Baseline: SHA-256 of the same signing input. */
    @Benchmark
    public byte[] sha256() {
        return sha256.digest(message);
    }

    @Benchmark
    public byte[] hmacSign() {
        return hmac.sign(message);
    }

    @Benchmark
    public boolean hmacVerify() {
        return hmac.verify(message, hmacSignature);
    }

    /** Ed25519 with BouncyCastle's low-level API, as {@code Ed25519Key} does. */
    @Benchmark
    public byte[] ed25519BouncyCastleSign() {
        return ed25519.sign(message);
    }

    @Benchmark
    public boolean ed25519BouncyCastleVerify() {
        return ed25519.verify(message, edSignature);
    }

    /** Ed25519 with the JDK's SunEC provider, the alternative Magistrate does not use. */
    @Benchmark
    public byte[] ed25519JdkSign() throws Exception {
        jdkSigner.update(message);
        return jdkSigner.sign();
    }

    @Benchmark
    public boolean ed25519JdkVerify() throws Exception {
        return jdkVerify();
    }

    private boolean jdkVerify() throws Exception {
        jdkVerifier.update(message);
        return jdkVerifier.verify(jdkSignature);
    }

    /** A whole T0 warrant: id, times, canonical signing input and HMAC, as the governor issues it. */
    @Benchmark
    public Warrant issueT0Warrant() {
        return issuer.issue(intent, Tier.T0, List.of(), List.of(), Duration.ofMinutes(5));
    }
}
