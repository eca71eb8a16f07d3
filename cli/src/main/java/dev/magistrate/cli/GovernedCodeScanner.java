package dev.magistrate.cli;

import dev.magistrate.policy.GovernedCode;

import java.nio.file.Path;

/**
 * Reads the governed methods of an application's class path for {@code policy lint --classpath}: their actions,
 * parameter names and types, as the agent would see them. The agent jar supplies it (a service of its class loader),
 * since reading classes without loading them takes Byte Buddy, which the command line alone does not have.
 */
public interface GovernedCodeScanner {

    /**
     * @param config the agent's configuration (which annotations and method patterns are governed), or null for the defaults
     * @throws IllegalArgumentException with a message for the user when the class path or the configuration cannot be read
     */
    GovernedCode scan(String classpath, Path config);
}
