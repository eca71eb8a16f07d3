package dev.magistrate.spring;

import dev.magistrate.policy.PolicyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A policy that does not load stops the application with its errors (file:line:col) as Boot's failure report, not a stack trace. */
final class PolicyFailureAnalyzer extends AbstractFailureAnalyzer<PolicyException> {

    @Override
    protected FailureAnalysis analyze(Throwable root, PolicyException cause) {
        return new FailureAnalysis("The Magistrate policy (magistrate.policy) did not load:\n\n" + cause.getMessage(),
                "Fix the policy (the command line checks it: magistrate policy check FILE). Governed calls cannot be decided"
                        + " without it, so the application does not start.", cause);
    }
}
