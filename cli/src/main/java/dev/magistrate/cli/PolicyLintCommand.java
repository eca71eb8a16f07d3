package dev.magistrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.policy.GovernedCode;
import dev.magistrate.policy.LintFinding;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyLint;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;

/** {@code policy lint}: {@link PolicyLint} on a policy, against the governed methods of a class path when one is given. */
@Command(name = "lint", mixinStandardHelpOptions = true,
        description = {"Checks a policy against the code it governs and against itself: arguments and actions no governed method has,",
                "arguments compared with the wrong type, rules that can never match, rules shadowed by a deny, conflicting rules.",
                "One line per finding: file:line:col: error|warning: message. Exit 1 when there is an error (or the policy does not load),",
                "0 otherwise (warnings included), 2 when an input cannot be read. Without --classpath, only the policy's own logic is checked."})
final class PolicyLintCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE|DIR", description = "the policy file, or a directory of them")
    String policy;

    @Option(names = "--classpath", paramLabel = "CP", description = "the application's class path: directories and jars, separated by the platform's path separator (: on Linux)")
    String classpath;

    @Option(names = "--config", paramLabel = "FILE", description = "the agent's configuration (magistrate.yaml): which annotations and methods are governed")
    Path config;

    @Option(names = "--json", description = "one JSON object: findings (severity, code, rule, file, line, column, message, suggestion), errors, warnings")
    boolean json;

    @Override
    public Integer call() {
        if (config != null && !Files.isReadable(config)) throw new CliException("cannot read --config " + config);
        PolicySet set;
        try {
            set = PolicyLoader.load(PolicyCommand.readable(policy));
        } catch (PolicyException e) {
            MagistrateCli.err(spec).println(e.getMessage());
            return NO;
        }
        GovernedCode code = null;
        if (classpath != null) {
            try {
                code = scanner().scan(classpath, config);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
        } else if (config != null) {
            throw new CliException("--config says which methods are governed on --classpath: give --classpath too");
        }
        List<LintFinding> findings = PolicyLint.lint(set, code);
        long errors = findings.stream().filter(f -> f.severity() == LintFinding.Severity.ERROR).count();
        long warnings = findings.size() - errors;
        PrintStream out = MagistrateCli.out(spec);
        if (json) {
            out.println(toJson(findings, errors, warnings, code));
        } else {
            findings.forEach(f -> out.println(f.format()));
            out.println(errors + (errors == 1 ? " error, " : " errors, ") + warnings + (warnings == 1 ? " warning" : " warnings")
                    + " in " + set.rules().size() + " rules" + (code == null
                    ? " (arguments and actions not checked: no --classpath)"
                    : ", checked against " + code.methodsByAction().values().stream().mapToInt(List::size).sum()
                    + " governed methods of " + code.actions().size() + " actions" + (code.complete() ? ""
                    : "; some classes could not be read fully (their supertypes are not on --classpath), so actions and"
                    + " the arguments of rules for any action were not checked")));
        }
        return errors > 0 ? NO : OK;
    }

    private static GovernedCodeScanner scanner() {
        Iterator<GovernedCodeScanner> found = ServiceLoader.load(GovernedCodeScanner.class).iterator();
        if (!found.hasNext()) {
            throw new CliException("--classpath needs the agent jar, which reads classes without loading them:"
                    + " java -jar magistrate-agent.jar policy lint ...");
        }
        return found.next();
    }

    static String toJson(List<LintFinding> findings, long errors, long warnings, GovernedCode code) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (LintFinding f : findings) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("severity", f.severity().wireName());
            m.put("code", f.code());
            m.put("rule", f.rule());
            m.put("file", f.location().file());
            m.put("line", f.location().line());
            m.put("column", f.location().column());
            m.put("message", f.message());
            m.put("suggestion", f.suggestion());
            list.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("findings", list);
        m.put("errors", errors);
        m.put("warnings", warnings);
        m.put("code_checked", code != null);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
