package dev.magistrate.approval;

import dev.magistrate.keys.KeySet;
import dev.magistrate.warrant.Warrant;
import dev.magistrate.warrant.WarrantRejectedException;

/**
 * An approval backend that is itself the authority, such as the fleet service: instead of relaying votes for the engine
 * to count against its own approver directory, it hands the call to a service that decides it again, counts votes
 * against its own directory and signs the warrant. The engine then verifies that warrant with the authority's pinned
 * public keys ({@link #warrantKeys}), checks it is bound to this call, and spends it at the authority before the body
 * runs. Everything the engine checks for a local backend still holds for the calls that stay local; the local policy's
 * denial still wins.
 */
public interface ApprovalAuthority extends ApprovalBackend {

    /** The authority's public warrant keys, pinned in configuration: its warrants are verified with these and no others. */
    KeySet warrantKeys();

    /**
     * Hands the call to the authority and returns at once; what it answers arrives through {@code verdicts}, from any
     * thread: {@link AuthorityVerdicts#answered} any number of times, then one final verdict or {@link AuthorityVerdicts#fail}.
     */
    void submit(ApprovalRequest request, AuthorityVerdicts verdicts) throws Exception;

    /**
     * Spends the warrant at the authority (single use across every process it serves), before the call's body runs.
     *
     * @throws WarrantRejectedException when the authority refuses it (a replay) or cannot be reached: the call does not run
     */
    void spend(Warrant warrant) throws WarrantRejectedException;

    /** Tells the authority how the call it spent {@code warrant} on ended; best effort (the body already ran). */
    void confirm(Warrant warrant, boolean succeeded, String resultSha256);

    /** Never called for an authority: the engine calls {@link #submit} instead. */
    @Override
    default void request(ApprovalRequest request, VoteSink votes) {
        throw new UnsupportedOperationException("approval backend '" + name() + "' is an authority: it takes submit, not votes");
    }
}
