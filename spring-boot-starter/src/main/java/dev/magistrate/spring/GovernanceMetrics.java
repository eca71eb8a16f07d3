package dev.magistrate.spring;

import dev.magistrate.policy.Decision;

/** What the interceptor reports about governed calls; Micrometer's meters when the application has Micrometer, else nothing. */
interface GovernanceMetrics {

    GovernanceMetrics NONE = new GovernanceMetrics() {
    };

    /** Asked before each call: when false the interceptor does not compute the decision for {@link #decided}. */
    default boolean enabled() {
        return false;
    }

    /** What the policy said about the call (its tier and effect), before any approval. */
    default void decided(String action, Decision decision) {
    }

    /** How long a call that needed people waited for them, granted or not. */
    default void approvalWait(String action, long nanos, boolean granted) {
    }

    /** A denial, by the stage that refused it ({@code policy}, {@code approval}, ... or {@code refused} before deciding). */
    default void denied(String action, String stage) {
    }

    /** How long the method body ran, and whether it returned or threw. */
    default void ran(String action, long nanos, boolean completed) {
    }
}
