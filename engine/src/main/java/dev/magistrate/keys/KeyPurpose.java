package dev.magistrate.keys;

import java.util.List;
import java.util.Locale;

/**
 * What a key set is for. One key, one purpose: a key that signs warrants never signs a log
 * checkpoint, so either set rotates without touching the other.
 */
public enum KeyPurpose {
    /** Warrants: HMAC-SHA256 for T0 calls that never leave the process, Ed25519 for approved tiers. */
    WARRANT("warrant", "", List.of(SignatureAlgorithm.HMAC_SHA256, SignatureAlgorithm.ED25519)),
    /** Audit log checkpoints: Ed25519 only, so anyone with the public key can check the log. */
    LOG("log", "log-", List.of(SignatureAlgorithm.ED25519));

    private final String dirName;
    private final String idPrefix;
    private final List<SignatureAlgorithm> algorithms;

    KeyPurpose(String dirName, String idPrefix, List<SignatureAlgorithm> algorithms) {
        this.dirName = dirName;
        this.idPrefix = idPrefix;
        this.algorithms = algorithms;
    }

    /** The subdirectory of the key directory that holds this purpose's keys, and its name on the command line. */
    public String dirName() {
        return dirName;
    }

    /** Prepended to generated key ids, so an id alone says what a key is for. */
    String idPrefix() {
        return idPrefix;
    }

    /** The algorithms this purpose signs with; each has one active key. */
    public List<SignatureAlgorithm> algorithms() {
        return algorithms;
    }

    /** From the command-line name ({@code warrant} or {@code log}). */
    public static KeyPurpose fromName(String name) {
        for (KeyPurpose p : values()) {
            if (p.dirName.equals(name.strip().toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("unknown key purpose '" + name + "' (known: warrant, log)");
    }
}
