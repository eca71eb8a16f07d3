package dev.magistrate.approval;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.OptionalLong;

/** RFC 6238 time-based one-time passwords: HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch. */
public final class Totp {

    public static final int DIGITS = 6;
    public static final long STEP_SECONDS = 30;
    /** Steps accepted either side of now, for clock drift between the server and the approver's device. */
    public static final int WINDOW = 1;

    private Totp() {
    }

    public static long step(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), STEP_SECONDS);
    }

    /** The code for the step containing {@code t}. */
    public static String codeAt(byte[] secret, Instant t) {
        return code(secret, step(t));
    }

    public static String code(byte[] secret, long step) {
        byte[] msg = new byte[8];
        for (int i = 7; i >= 0; i--) {
            msg[i] = (byte) step;
            step >>>= 8;
        }
        byte[] h;
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret, "HmacSHA1"));
            h = mac.doFinal(msg);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
        int offset = h[h.length - 1] & 0xF;
        int binary = ((h[offset] & 0x7F) << 24) | ((h[offset + 1] & 0xFF) << 16) | ((h[offset + 2] & 0xFF) << 8) | (h[offset + 3] & 0xFF);
        String s = Integer.toString(binary % 1_000_000);
        return "0".repeat(DIGITS - s.length()) + s;
    }

    /** The step (within ±{@link #WINDOW} of {@code now}) whose code this is, or empty. Compares in constant time. */
    public static OptionalLong matchingStep(byte[] secret, String code, Instant now) {
        if (code == null || code.length() != DIGITS || !code.chars().allMatch(c -> c >= '0' && c <= '9')) return OptionalLong.empty();
        byte[] given = code.getBytes(StandardCharsets.US_ASCII);
        long center = step(now);
        long found = Long.MIN_VALUE;
        for (long s = center - WINDOW; s <= center + WINDOW; s++) {
            if (MessageDigest.isEqual(code(secret, s).getBytes(StandardCharsets.US_ASCII), given)) found = s;
        }
        return found == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(found);
    }

    /** RFC 4648 base32, case-insensitive, spaces and padding ignored (as authenticator apps show secrets). */
    public static byte[] decodeBase32(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        int count = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '=' || c == ' ' || c == '-') continue;
            int v;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a';
            else if (c >= '2' && c <= '7') v = c - '2' + 26;
            else throw new IllegalArgumentException("not base32 (RFC 4648): character " + (count + 1) + " is outside A-Z, 2-7");
            count++;
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xFF);
                bits -= 8;
            }
        }
        if (count == 0) throw new IllegalArgumentException("empty");
        return out.toByteArray();
    }
}
