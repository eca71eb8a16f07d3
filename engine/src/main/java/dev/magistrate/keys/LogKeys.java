package dev.magistrate.keys;

import dev.magistrate.audit.CheckpointKeys;
import dev.magistrate.audit.CheckpointSigner;
import dev.magistrate.audit.CheckpointVerifier;

import java.util.List;

/**
 * The log key set seen as an audit log's {@link CheckpointKeys}: its active Ed25519 key signs, all
 * of its Ed25519 keys (the retired ones hold only their public half) verify. Checkpoint key names
 * are {@code magistrate-KEYID}. Both are read from the set each time, so a rotation made by the
 * command line is followed by a running log.
 */
final class LogKeys implements CheckpointKeys {

    /** Prefix of a checkpoint key name; the rest is the key id. */
    static final String KEY_NAME_PREFIX = "magistrate-";

    private final KeySet set;
    private volatile CheckpointSigner signer;

    LogKeys(KeySet set) {
        this.set = set;
    }

    @Override
    public CheckpointSigner signer() {
        Ed25519Key active = (Ed25519Key) set.signingKey(SignatureAlgorithm.ED25519);
        CheckpointSigner s = signer;
        // Deriving a signer costs a public-key computation: made once per active key, not per checkpoint.
        if (s == null || !s.keyName().equals(LogKeys.KEY_NAME_PREFIX + active.keyId())) signer = s = active.checkpointSigner();
        return s;
    }

    @Override
    public CheckpointVerifier verifier() {
        List<CheckpointVerifier> trusted = set.keys(SignatureAlgorithm.ED25519).stream()
                .map(k -> ((Ed25519Key) k).checkpointVerifier()).toList();
        return CheckpointVerifier.trusting(trusted);
    }
}
