package dev.magistrate.benchmarks.policy;

/**
 * One tool call as every engine sees it: the action, who asks (an agent acting in a role), what it
 * touches and the numbers the rules compare. Each engine turns this into its own native input once,
 * before timing starts.
 */
public record Call(String action, String agent, String resource, String role, long amount, String environment) {
}
