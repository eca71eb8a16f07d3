package dev.magistrate.console.chat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The three HMAC-SHA256 signature schemes chat callbacks carry, and the one Magistrate signs its webhook posts
 * with. Comparisons are constant-time; nothing here logs or returns a secret.
 * <ul>
 * <li>Slack {@code v0}: {@code X-Slack-Signature: v0=<hex HMAC(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + body)>}</li>
 * <li>Teams outgoing webhook: {@code Authorization: HMAC <base64 HMAC(base64-decoded security token, body)>}</li>
 * <li>Magistrate {@code v1} (webhook, both ways): {@code X-Magistrate-Signature: v1=<hex HMAC(secret, X-Magistrate-Timestamp + "." + body)>}</li>
 * </ul>
 */
final class ChatSignatures {

    private ChatSignatures() {
    }

    static String slackV0(byte[] signingSecret, String timestamp, byte[] body) {
        return "v0=" + HexFormat.of().formatHex(hmac(signingSecret, ("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8), body));
    }

    static String teams(byte[] decodedSecret, byte[] body) {
        return "HMAC " + Base64.getEncoder().encodeToString(hmac(decodedSecret, new byte[0], body));
    }

    static String magistrateV1(byte[] secret, String timestamp, byte[] body) {
        return "v1=" + HexFormat.of().formatHex(hmac(secret, (timestamp + ".").getBytes(StandardCharsets.UTF_8), body));
    }

    /** Constant-time: how much of a guess was right never shows in the time taken. */
    static boolean same(String expected, String presented) {
        return presented != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JDK", e);
        }
    }
}
