package dev.magistrate.agent.internal;

import dev.magistrate.cli.MagistrateCli;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.Rule;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.method.MethodDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code inventory}: proves what is governed before anything runs. It reads a class path the way the agent would see
 * it (Byte Buddy's type pool: no class is loaded or initialised), applies the same configuration the agent would, and
 * lists every governed method with its action name and the policy rules that can match it, then every method that looks
 * like a tool (a known tool annotation) but would not be governed. Exit 1 when there is one, so a build can refuse it.
 */
@Command(name = "inventory", mixinStandardHelpOptions = true,
        description = {"Lists every method the agent would govern, with its action and the rules that can match it, and every",
                "tool method it would NOT govern (annotated with a known tool annotation, yet not configured). Exit 1 when there is one."})
public final class InventoryCommand implements Callable<Integer> {

    /** Tool annotations of frameworks we know: a method carrying one is a tool whether or not the configuration says so. */
    static final List<String> KNOWN_TOOL_ANNOTATIONS = List.of(GovernedMethods.GOVERNED_ACTION, "dev.langchain4j.agent.tool.Tool",
            "org.springframework.ai.tool.annotation.Tool");

    @Spec
    CommandSpec spec;

    @Option(names = "--classpath", required = true, paramLabel = "CP", description = "the application's class path: directories and jars, separated by the platform's path separator (: on Linux)")
    String classpath;

    @Option(names = "--config", paramLabel = "FILE", description = "the agent's configuration (magistrate.yaml): govern.annotations, govern.methods and the policy")
    Path config;

    @Option(names = "--tool-annotation", paramLabel = "TYPE", description = "another annotation type that marks a tool (repeatable)")
    List<String> toolAnnotations = new ArrayList<>();

    @Override
    public Integer call() {
        PrintStream out = MagistrateCli.out(spec);
        PrintStream err = MagistrateCli.err(spec);
        AgentConfig cfg;
        try {
            cfg = config(config);
        } catch (AgentConfig.ConfigException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        GovernedMethods methods = GovernedMethods.configured(cfg);
        List<Rule> rules = List.of();
        if (cfg.get(AgentConfig.POLICY) != null) {
            try {
                rules = PolicyLoader.load(Path.of(cfg.get(AgentConfig.POLICY))).rules();
            } catch (PolicyException e) {
                err.println(e.getMessage());
                return 1;
            }
        }
        Set<String> tools = new LinkedHashSet<>(KNOWN_TOOL_ANNOTATIONS);
        tools.addAll(toolAnnotations);
        GovernedClassPath classPath;
        try {
            classPath = GovernedClassPath.open(classpath);
        } catch (IOException | GovernedClassPath.NoSuchEntry e) {
            err.println("error: --classpath: " + e.getMessage());
            return 2;
        }
        int[] governed = {0}, ungoverned = {0};
        List<String> lines = new ArrayList<>();
        List<Rule> policyRules = rules;
        int unreadable = classPath.forEachMethod((type, m) -> {
            String where = type.getName() + "#" + m.getName() + params(m);
            AnnotationDescription refused = methods.requiredButUngoverned(type, m);
            if (refused != null && !m.isAbstract()) {
                lines.add(String.format("REFUSED       %-28s %s   @%s is a tool annotation, not in magistrate.govern.annotations;"
                        + " magistrate.require refuses every call", "-", where, refused.getAnnotationType().getName()));
                ungoverned[0]++;
            } else if (methods.matcher().matches(m)) {
                String action = Normalizer.normalize(methods.actionName(type, m), Normalizer.Form.NFKC);
                lines.add(String.format("GOVERNED      %-28s %s%s", action, where, rulesFor(action, policyRules)));
                governed[0]++;
            } else if (!m.isAbstract()) {
                for (AnnotationDescription a : m.getDeclaredAnnotations()) {
                    String t = a.getAnnotationType().getName();
                    if (tools.contains(t)) {
                        lines.add(String.format("NOT GOVERNED  %-28s %s   @%s is a tool annotation, but not in magistrate.govern.annotations",
                                "-", where, t));
                        ungoverned[0]++;
                    }
                }
            }
        });
        lines.forEach(out::println);
        out.println(governed[0] + " governed methods, " + ungoverned[0] + " tool methods NOT governed" + (unreadable > 0
                ? "; " + unreadable + " classes could not be read fully (their supertypes are not on --classpath)" : ""));
        return ungoverned[0] > 0 ? 1 : 0;
    }

    /**
     * The rules that name this action in their condition, and those whose condition does not mention {@code action} at all
     * (they can match any call). A rule that names only other actions cannot match.
     */
    static String rulesFor(String action, List<Rule> rules) {
        if (rules.isEmpty()) return "";
        List<String> naming = new ArrayList<>(), any = new ArrayList<>();
        for (Rule r : rules) {
            String c = r.conditionText();
            if (c.contains("'" + action + "'") || c.contains("\"" + action + "\"")) naming.add(r.name());
            else if (!c.matches("(?s).*\\baction\\b.*")) any.add(r.name());
        }
        return "   rules: " + (naming.isEmpty() ? "none by name" : String.join(", ", naming))
                + (any.isEmpty() ? "" : "; for any action: " + String.join(", ", any));
    }

    private static String params(MethodDescription m) {
        List<String> p = new ArrayList<>();
        m.getParameters().forEach(x -> p.add(x.getType().asErasure().getSimpleName()));
        return "(" + String.join(", ", p) + ")";
    }

    /** The agent's configuration as {@code -javaagent:...=config=FILE} would read it, without the environment; defaults without a file. */
    static AgentConfig config(Path file) {
        return file == null ? AgentConfig.load(null, Map.of(), Map.of(), Path.of("."))
                : AgentConfig.load("config=" + file.getFileName(), Map.of(), Map.of(), file.toAbsolutePath().getParent());
    }

    /** The agent jar's command line: the built-in commands and those only the agent can offer. */
    public static int run(String[] args) {
        return MagistrateCli.run(args, List.of(new InventoryCommand()));
    }
}
