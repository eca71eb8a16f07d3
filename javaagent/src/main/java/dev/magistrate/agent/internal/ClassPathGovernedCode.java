package dev.magistrate.agent.internal;

import dev.magistrate.cli.GovernedCodeScanner;
import dev.magistrate.intent.ActionNames;
import dev.magistrate.policy.GovernedCode;

import java.io.IOException;
import java.nio.file.Path;

/** {@code policy lint --classpath}: the governed methods of a class path, read as {@code inventory} reads them. */
public final class ClassPathGovernedCode implements GovernedCodeScanner {

    @Override
    public GovernedCode scan(String classpath, Path config) {
        GovernedMethods methods;
        GovernedClassPath classPath;
        try {
            AgentConfig cfg = InventoryCommand.config(config);
            methods = GovernedMethods.configured(cfg);
            classPath = GovernedClassPath.open(classpath);
        } catch (AgentConfig.ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException | GovernedClassPath.NoSuchEntry e) {
            throw new IllegalArgumentException("--classpath: " + e.getMessage(), e);
        }
        GovernedCode.Builder code = new GovernedCode.Builder();
        int unreadable = classPath.forEachMethod((type, m) -> {
            if (methods.matcher().matches(m)) code.add(ActionNames.normalize(methods.actionName(type, m)), methods.codeView(type, m));
        });
        // A class that could not be read may hold governed methods: then "no method has it" cannot be proven.
        return code.build(unreadable == 0);
    }
}
