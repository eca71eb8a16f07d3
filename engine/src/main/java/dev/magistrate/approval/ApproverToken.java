package dev.magistrate.approval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * An approver's personal token: the credential a vote carries to prove which person cast it. It is
 * 256 random bits, written {@code mgt_} + 43 base64url characters, shown once when minted and then
 * kept by that person only. The approver directory holds its SHA-256 (a plain hash is enough for a
 * high-entropy random token: there is nothing to guess from it), so the file the governed process
 * can read never holds anything that votes. Comparisons are constant-time.
 */
public final class ApproverToken {

    public static final String PREFIX = "mgt_";
    /** The token's random bits. */
    public static final int BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApproverToken() {
    }

    /** A new token; show it once to its owner and store only {@link #sha256Hex}. */
    public static String mint() {
        byte[] raw = new byte[BITS / 8];
        RANDOM.nextBytes(raw);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The SHA-256 of the token's text, lower-case hex: what {@code token_sha256} in approvers.yaml holds. */
    public static String sha256Hex(String token) {
        return HexFormat.of().formatHex(sha256(token));
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** True when {@code presented} hashes to {@code expectedSha256}; constant-time in the hash. */
    static boolean matches(byte[] expectedSha256, String presented) {
        if (expectedSha256 == null || presented == null || presented.isEmpty() || presented.length() > 512) return false;
        return MessageDigest.isEqual(sha256(presented), expectedSha256);
    }

    /** Parses the 64 hex digits of a {@code token_sha256} value; the message names what is wrong, never the value. */
    static byte[] parseSha256Hex(String text) {
        String t = text.strip();
        if (t.length() != 64) throw new IllegalArgumentException("must be 64 hex digits (the SHA-256 of a personal token), got " + t.length() + " characters");
        for (int i = 0; i < t.length(); i++) {
            if (Character.digit(t.charAt(i), 16) < 0) throw new IllegalArgumentException("must be 64 hex digits: character " + (i + 1) + " is not 0-9, a-f");
        }
        return HexFormat.of().parseHex(t.toLowerCase(Locale.ROOT));
    }
}
