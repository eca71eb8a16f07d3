package dev.magistrate.keys;

/** The algorithms a warrant may be signed with. There is no "none": an unsigned warrant does not parse. */
public enum SignatureAlgorithm {
    /** Shared secret; cheap enough for the T0 path, verifiable only inside the process (or by holders of the secret). */
    HMAC_SHA256("HMAC-SHA256", "hmac-sha256"),
    /** Public key; for human-approved tiers and warrants that leave the process. */
    ED25519("Ed25519", "ed25519");

    private final String wireName;
    private final String fileTag;

    SignatureAlgorithm(String wireName, String fileTag) {
        this.wireName = wireName;
        this.fileTag = fileTag;
    }

    /** The name in a warrant's {@code algorithm} field. */
    public String wireName() {
        return wireName;
    }

    String fileTag() {
        return fileTag;
    }

    /** Exact, case-sensitive: anything else is not an algorithm we sign with. */
    public static SignatureAlgorithm fromWireName(String name) {
        for (SignatureAlgorithm a : values()) {
            if (a.wireName.equals(name)) return a;
        }
        throw new IllegalArgumentException("unknown signature algorithm '" + name + "' (known: HMAC-SHA256, Ed25519)");
    }
}
