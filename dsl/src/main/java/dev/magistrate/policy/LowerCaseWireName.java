package dev.magistrate.policy;

import java.util.Locale;

/**
 * An enum whose name in JSON, audit entries and messages is its constant's name in lower case
 * ({@code DENY} → {@code deny}): one definition for every such enum.
 */
public interface LowerCaseWireName {

    /** Implemented by every enum. */
    String name();

    default String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
