/**
 * The policy language's public API, in the order of its stages: {@link dev.magistrate.policy.PolicyLoader}
 * reads YAML into a {@link dev.magistrate.policy.PolicySet} (every error a {@link dev.magistrate.policy.PolicyError}
 * with file, line and column), {@link dev.magistrate.policy.PolicyCompiler} turns it into a
 * {@link dev.magistrate.policy.CompiledPolicy}, whose {@code decide} gives a {@link dev.magistrate.policy.Decision}.
 * {@link dev.magistrate.policy.ReferencePolicy} is the slow interpreter the compiled form is tested against;
 * {@link dev.magistrate.policy.PolicyTestRunner} runs test cases kept beside a policy.
 * {@code GeneratedPolicy} is public only because generated classes extend it. The lexer, parser,
 * checker and value semantics live in {@code dev.magistrate.policy.internal} and are not API.
 */
package dev.magistrate.policy;
