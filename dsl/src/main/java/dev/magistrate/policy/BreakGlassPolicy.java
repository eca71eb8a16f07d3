package dev.magistrate.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The policy's top-level {@code break_glass} section: who may open a break-glass grant and how far one may reach.
 * A policy without the section has none ({@link PolicySet#breakGlass()} is null), and then no grant can be opened.
 *
 * @param roles       a grant is opened by one approver holding one of these roles
 * @param maxUses     the most uses one grant may ask for
 * @param maxDuration the longest expiry one grant may ask for
 * @param neverRules  the rules marked {@code break_glass: never}: a call any of them matches is never let through by a grant
 */
public record BreakGlassPolicy(List<String> roles, int maxUses, Duration maxDuration, Set<String> neverRules) {

    public BreakGlassPolicy {
        roles = List.copyOf(roles);
        neverRules = Set.copyOf(neverRules);
        Objects.requireNonNull(maxDuration, "maxDuration");
        if (roles.isEmpty()) throw new IllegalArgumentException("break_glass names at least one role");
        if (maxUses < 1) throw new IllegalArgumentException("max_uses is at least 1");
    }
}
