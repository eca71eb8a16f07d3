package dev.magistrate.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy set that did not load: every error found, each with its file, line and column. */
public final class PolicyException extends RuntimeException {

    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) throw new IllegalArgumentException("a PolicyException needs at least one error");
        this.errors = List.copyOf(errors);
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
