package dev.magistrate.keys;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/** HMAC-SHA256 with a 256-bit secret. Each thread keeps its own initialised {@link Mac}: init costs more than a short MAC. */
public final class HmacSha256Key implements WarrantKey {

    static final int SECRET_BYTES = 32;

    private final String keyId;
    private final SecretKeySpec secret;
    private final ThreadLocal<Mac> macs;

    HmacSha256Key(String keyId, byte[] secretBytes) {
        if (secretBytes.length < SECRET_BYTES) throw new IllegalArgumentException("HMAC key " + keyId + ": secret shorter than 32 bytes");
        this.keyId = keyId;
        this.secret = new SecretKeySpec(secretBytes, "HmacSHA256");
        Arrays.fill(secretBytes, (byte) 0);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    @Override public String keyId() { return keyId; }

    @Override public SignatureAlgorithm algorithm() { return SignatureAlgorithm.HMAC_SHA256; }

    @Override public boolean canSign() { return true; }

    @Override
    public byte[] sign(byte[] message) {
        return macs.get().doFinal(message);
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        return signature != null && signature.length == 32 && MessageDigest.isEqual(sign(message), signature);
    }

    @Override
    public String toString() {
        return "HmacSha256Key[" + keyId + "]";
    }
}
