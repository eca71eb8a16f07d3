package dev.magistrate.console;

import dev.magistrate.approval.ApprovalRequest;
import dev.magistrate.approval.Vote;
import dev.magistrate.approval.VoteResult;
import dev.magistrate.approval.VoteSink;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One approval request as the console holds it: what was asked, where its votes go, its state as far as the console
 * knows, and the votes cast through the console (for display; the audit trail is the record). Votes from the JSON API
 * and from the page both pass through {@link #cast}, so both show up, wake the live page and reach the chat messages.
 */
final class RequestRecord {

    /** Vote lines kept per request for display; later ones are counted. */
    static final int KEEP_VOTES = 50;

    /** As the agent asked for it. */
    final ApprovalRequest requested;
    /** As an approver last edited it ({@link #proposalChanged}): what approvals now count for. */
    private volatile ApprovalRequest current;
    private final VoteSink sink;
    private final Runnable changed;
    private final BiConsumer<Vote, VoteResult> voted;
    final Instant received;
    private volatile String state = "pending";
    private volatile Instant ended;
    private final List<ConsolePages.VoteLine> votes = new ArrayList<>();
    private long notShown;

    /** {@code changed}: wakes the live pages; {@code voted}: hears every vote the engine answered (chat messages show who decided). */
    RequestRecord(ApprovalRequest request, VoteSink sink, Instant received, Runnable changed, BiConsumer<Vote, VoteResult> voted) {
        this.requested = request;
        this.current = request;
        this.sink = sink;
        this.received = received;
        this.changed = changed;
        this.voted = voted;
    }

    String intentId() {
        return requested.intentId();
    }

    ApprovalRequest current() {
        return current;
    }

    /** An approver's edit replaced the call under vote: show the values approvals now count for, beside the requested ones. */
    void proposalChanged(ApprovalRequest edited) {
        current = edited;
        changed.run();
    }

    String state() {
        return state;
    }

    boolean pending() {
        return state.equals("pending");
    }

    /** When the console learnt that the intent ended, or null while it waits. */
    Instant ended() {
        return ended;
    }

    /** Delivers a vote to the engine and keeps a line of it; a vote that ends the intent wakes the live page. */
    VoteResult cast(Vote vote, Instant now) {
        VoteResult r = sink.vote(vote);
        voted.accept(vote, r);
        if (r.refusal() == VoteResult.Refusal.CREDENTIAL) return r; // not a person's vote: audited by the engine, not shown
        synchronized (votes) {
            if (votes.size() < KEEP_VOTES) {
                votes.add(new ConsolePages.VoteLine(now, vote.approverId(), vote.verdict().wireName(), vote.comment(),
                        vote.edits().isEmpty() ? null : vote.edits().toString(), vote.credential() == null ? null : vote.credential().method(),
                        r.accepted(), r.rejection()));
            } else {
                notShown++;
            }
        }
        if (!r.state().equals("pending")) end(r.state(), now);
        else changed.run();
        return r;
    }

    /**
     * The intent reached a final state: {@code how} as the engine says it ({@code granted}, {@code denied}, ...), or
     * {@code ended} when the engine only said to stop offering it; a specific state replaces {@code ended}, never the reverse.
     */
    void end(String how, Instant now) {
        synchronized (this) {
            boolean first = pending();
            if (!first && !(state.equals("ended") && !how.equals("ended"))) return;
            if (first) ended = now;
            state = how;
        }
        changed.run();
    }

    List<ConsolePages.VoteLine> votes() {
        synchronized (votes) {
            return List.copyOf(votes);
        }
    }

    long votesNotShown() {
        synchronized (votes) {
            return notShown;
        }
    }
}
