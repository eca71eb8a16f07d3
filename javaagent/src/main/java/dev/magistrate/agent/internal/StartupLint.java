package dev.magistrate.agent.internal;

import dev.magistrate.policy.GovernedCode;
import dev.magistrate.policy.LintFinding;
import dev.magistrate.policy.PolicyLint;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.Rule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code policy lint} at agent start: one WARN line per finding, never a failure. The policy's own findings come when
 * it loads; those about arguments as each governed method is instrumented, against the methods seen so far (classes
 * load lazily, so an action or an argument of a rule for any action is never called unknown here: more may load).
 */
final class StartupLint {

    private final GovernedCode.Builder seen = new GovernedCode.Builder();
    private final Set<String> logged = new HashSet<>();
    private PolicySet policy;
    private Map<String, String> sources;

    /** The policy the engine was opened with; read again here because the engine keeps only its compiled form. */
    synchronized void policyLoaded(Path policyPath) {
        try {
            policy = PolicyLoader.load(policyPath);
            sources = new LinkedHashMap<>();
            for (Rule r : policy.rules()) {
                String file = r.location().file();
                if (!sources.containsKey(file)) sources.put(file, Files.readString(Path.of(file)));
            }
            warn(PolicyLint.lint(policy, sources, null));
            warn(PolicyLint.lintAgainstCode(policy, sources, seen.build(false))); // classes instrumented before the policy loaded
        } catch (Exception | LinkageError e) {
            policy = null;
            AgentLog.warn("policy lint skipped: " + e);
        }
    }

    /** Called while a class is transformed: whatever goes wrong here is logged, and the method is governed all the same. */
    synchronized void instrumented(String action, Supplier<GovernedCode.Method> method) {
        try {
            seen.add(action, method.get());
            if (policy != null) warn(PolicyLint.lintAgainstCode(policy, sources, seen.build(false)));
        } catch (RuntimeException | LinkageError e) {
            AgentLog.warn("policy lint skipped: " + e);
        }
    }

    private void warn(List<LintFinding> findings) {
        for (LintFinding f : findings) {
            if (logged.add(f.format())) AgentLog.warn("policy lint: " + f.format());
        }
    }
}
