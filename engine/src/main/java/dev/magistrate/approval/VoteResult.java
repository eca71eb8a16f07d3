package dev.magistrate.approval;

/**
 * What the engine made of a vote: whether it counted, why not if it did not, and the intent's state
 * after it ({@code pending}, {@code granted}, {@code denied}, {@code timed_out}).
 */
public record VoteResult(boolean accepted, String rejection, String state) {

    public static VoteResult accepted(String state) {
        return new VoteResult(true, null, state);
    }

    public static VoteResult rejected(String why, String state) {
        return new VoteResult(false, why, state);
    }
}
