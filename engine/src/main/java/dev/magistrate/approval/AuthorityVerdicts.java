package dev.magistrate.approval;

import java.util.List;

/** Where an {@link ApprovalAuthority} delivers what it answers about one request; the engine provides one per request. */
public interface AuthorityVerdicts {

    /**
     * One answer of the authority. {@code status}: {@code pending}, {@code allow} (with {@code warrantJson}), {@code denied}
     * or {@code timed_out}. {@code requestId} is the authority's id for the request, {@code answeredBy} which of its
     * replicas answered, {@code approvedBy} the approvers it counted; {@code rule} and {@code reason} say why it denied.
     */
    record Answer(String requestId, String status, String warrantJson, List<String> approvedBy, String rule, String reason,
                  String answeredBy) {
        public Answer {
            approvedBy = approvedBy == null ? List.of() : List.copyOf(approvedBy);
        }

        public boolean isFinal() {
            return !status.equals("pending");
        }
    }

    /** The authority answered; a final answer ends the request (later answers are ignored). */
    void answered(Answer answer);

    /** The authority cannot be reached or refused the request: the intent is denied with this reason (fail closed). */
    void fail(String reason);
}
