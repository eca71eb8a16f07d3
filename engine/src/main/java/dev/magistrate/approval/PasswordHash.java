package dev.magistrate.approval;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Approvers' console passwords, stored as Argon2id (RFC 9106) in the PHC string format
 * {@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}: memory-hard, so the approver directory, which the
 * governed process can read, does not give away passwords to a guessing machine cheaply. The default cost is
 * OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane). Verification is constant-time in the hash and
 * refuses parameters outside sane bounds (a crafted hash must not make a sign-in allocate gigabytes).
 */
public final class PasswordHash {

    static final int MEMORY_KIB = 19 * 1024;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final int MAX_MEMORY_KIB = 1024 * 1024;
    private static final int MAX_ITERATIONS = 20;
    private static final int MAX_PASSWORD_CHARS = 1024;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{11,64})\\$([A-Za-z0-9+/]{22,128})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int memoryKib;
    private final int iterations;
    private final int parallelism;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(int memoryKib, int iterations, int parallelism, byte[] salt, byte[] hash) {
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.parallelism = parallelism;
        this.salt = salt;
        this.hash = hash;
    }

    /** Hashes a new password with a fresh salt; returns the PHC string to store. */
    public static String create(char[] password) {
        checkLength(password);
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        return new PasswordHash(MEMORY_KIB, ITERATIONS, PARALLELISM, salt, hash).toString();
    }

    /**
     * Parses a stored PHC string.
     *
     * @throws IllegalArgumentException naming what is wrong, never quoting the value
     */
    public static PasswordHash parse(String phc) {
        Matcher m = PHC.matcher(phc.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("must be an Argon2id PHC string, $argon2id$v=19$m=...,t=...,p=...$salt$hash "
                    + "(make one with 'magistrate approvers password')");
        }
        int memory = Integer.parseInt(m.group(1));
        int iterations = Integer.parseInt(m.group(2));
        int parallelism = Integer.parseInt(m.group(3));
        if (memory < 8 * 1024 || memory > MAX_MEMORY_KIB) throw new IllegalArgumentException("memory m=" + memory + " KiB is outside 8192..1048576");
        if (iterations < 1 || iterations > MAX_ITERATIONS) throw new IllegalArgumentException("t=" + iterations + " is outside 1.." + MAX_ITERATIONS);
        if (parallelism < 1 || parallelism > 16) throw new IllegalArgumentException("p=" + parallelism + " is outside 1..16");
        Base64.Decoder b64 = Base64.getDecoder();
        return new PasswordHash(memory, iterations, parallelism, b64.decode(pad(m.group(4))), b64.decode(pad(m.group(5))));
    }

    /** True when {@code password} is the one this hash was made from. Costs one Argon2id derivation. */
    public boolean matches(char[] password) {
        if (password == null || password.length == 0 || password.length > MAX_PASSWORD_CHARS) return false;
        byte[] candidate = derive(password, salt, memoryKib, iterations, parallelism, hash.length);
        return MessageDigest.isEqual(candidate, hash);
    }

    private static byte[] derive(char[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
        Argon2Parameters p = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt).withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(parallelism).build();
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(p);
        byte[] bytes = toUtf8(password);
        byte[] out = new byte[length];
        try {
            g.generateBytes(bytes, out);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        return out;
    }

    private static byte[] toUtf8(char[] password) {
        var buffer = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        if (buffer.hasArray()) Arrays.fill(buffer.array(), (byte) 0);
        return bytes;
    }

    private static void checkLength(char[] password) {
        if (password == null || password.length < 12) throw new IllegalArgumentException("a console password has at least 12 characters");
        if (password.length > MAX_PASSWORD_CHARS) throw new IllegalArgumentException("a console password has at most " + MAX_PASSWORD_CHARS + " characters");
    }

    private static String pad(String unpadded) {
        return unpadded + "=".repeat((4 - unpadded.length() % 4) % 4);
    }

    /** The PHC string. Holds no secret a person could use directly; still, keep it out of logs. */
    @Override
    public String toString() {
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }
}
