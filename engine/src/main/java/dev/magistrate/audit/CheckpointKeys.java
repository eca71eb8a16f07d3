package dev.magistrate.audit;

/**
 * The keys of an audit log: the one that signs its next checkpoint, and every key trusted to have
 * signed the checkpoints it already holds. They differ after a rotation of the log key: the log
 * keeps verifying from its first entry because retired keys stay trusted.
 */
public interface CheckpointKeys {

    /** The signer for the next checkpoint; may change while the log is open (a rotation). */
    CheckpointSigner signer();

    /** Accepts a checkpoint signed by any trusted key, the current one included. */
    CheckpointVerifier verifier();
}
