package dev.magistrate.approval;

/**
 * Where approval requests go and votes come from: a console, a webhook, code, ... Asynchronous:
 * {@link #request} hands the request out and returns at once; votes arrive later through the
 * {@link VoteSink}, from any thread. Backends only relay: every rule (who may approve, how many,
 * which roles, MFA, timeout) is enforced by the engine. A {@code request} that throws denies the intent.
 * Implementations are found by {@link java.util.ServiceLoader} through {@link ApprovalBackendProvider}.
 */
public interface ApprovalBackend extends AutoCloseable {

    /** The name configuration selects this backend by, like {@code programmatic}. */
    String name();

    void request(ApprovalRequest request, VoteSink votes) throws Exception;

    /**
     * Called once, before any request, by {@code Magistrate.open}: what a backend that authenticates people itself
     * (sign-in, chat signatures) needs from the engine.
     */
    default void attach(ApprovalContext context) {
    }

    /**
     * An approver's edit replaced the call under vote: {@code edited} is the request with the arguments now proposed
     * (same intent id). Approvals from now on count for these values, so show them instead of the requested ones.
     */
    default void proposalChanged(ApprovalRequest edited) {
    }

    /** The intent reached a final state (granted, denied, timed out, needs_information): stop offering it. */
    default void cancel(String intentId) {
    }

    /**
     * Where people reach this backend to vote, like {@code http://127.0.0.1:8080}, for the agent's start
     * line; null when there is no such place (code, automatic approvals).
     */
    default String endpoint() {
        return null;
    }

    /**
     * True when votes reach this backend from outside the governed process (HTTP, chat, webhooks), so
     * each {@link Vote} must carry the approver's personal credential ({@link Vote#credential()}) and the
     * engine refuses it otherwise. Fail closed: true unless a backend says otherwise; only backends whose
     * votes come from code in the same process (programmatic, auto) return false.
     */
    default boolean requiresApproverCredentials() {
        return true;
    }

    /** True only for backends that approve without a person; the engine audits those approvals as automatic. */
    default boolean automatic() {
        return false;
    }

    @Override
    default void close() {
    }
}
