package dev.magistrate.approval;

import java.util.Objects;

/**
 * What proves that a vote was cast by the person it names. Either the person's own personal token, which
 * the engine checks against the approver directory, or the statement of a backend that authenticated the
 * person itself (a console sign-in with their password, a chat callback whose signature verified and whose
 * user the directory maps to them). The engine counts a vote only when the credential belongs to the
 * approver the vote names, and audits {@link #method()}. Neither form is ever printed with its secret.
 */
public sealed interface ApproverCredential {

    /** How the person was authenticated, for the audit trail; never contains a secret. */
    String method();

    /** The approver's personal token ({@link ApproverToken}), as presented; the engine hashes and compares it. */
    record PersonalToken(String token) implements ApproverCredential {
        public PersonalToken {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String method() {
            return "personal token";
        }

        @Override
        public String toString() {
            return "PersonalToken[hidden]";
        }
    }

    /**
     * A backend authenticated the person as {@code approverId}; {@code how} says how, e.g. {@code "console sign-in
     * (password, session)"} or {@code "slack user U024BE7LH (signed v0 callback)"}.
     */
    record SignedIn(String approverId, String how) implements ApproverCredential {
        public SignedIn {
            Objects.requireNonNull(approverId, "approverId");
            Objects.requireNonNull(how, "how");
        }

        @Override
        public String method() {
            return how;
        }
    }
}
