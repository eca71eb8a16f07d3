package dev.magistrate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DSL is untrusted: text in conditions, names and regexes must stay inert data. If any payload
 * reached the generated source as code, System.exit would end this JVM and the build would fail.
 */
class InjectionTest {

    static final List<String> PAYLOADS = List.of(
            "\"; System.exit(1); \"",
            "\\\"; System.exit(2); //",
            "'); System.exit(3); ('",
            "*/ System.exit(4); /*",
            "\n System.exit(5);\n",
            "\\u0022; System.exit(6); \\u0022",
            "\\u000a System.exit(7);",
            "${System.exit(8)}",
            "\" + Runtime.getRuntime().halt(9) + \"");

    @Test
    void payloadsInStringLiteralsAreComparedAsData() {
        for (String payload : PAYLOADS) {
            String condition = "action == " + dslString(payload) + " or resource contains " + dslString(payload)
                    + " or agent matches " + dslString(java.util.regex.Pattern.quote(payload));
            PolicySet set = Conditions.single(condition);
            String source = PolicyCompiler.source(set);
            assertFalse(source.contains("System.exit"), "payload reached the source: " + payload + "\n" + source);
            assertFalse(source.contains("halt("), source);
            CompiledPolicy p = PolicyCompiler.compile(set);
            assertEquals(List.of("r"), p.decide(PolicyRequest.builder(payload).build()).matchedRules(), payload);
            assertEquals(List.of("r"), p.decide(PolicyRequest.builder("x").resource("<<" + payload + ">>").build()).matchedRules());
            assertEquals(List.of("r"), p.decide(PolicyRequest.builder("x").agent(payload).build()).matchedRules());
            assertEquals(List.of(), p.decide(PolicyRequest.builder("x").build()).matchedRules());
        }
    }

    @Test
    void unicodeEscapesInTheDslAreDecodedByUsNotByTheJavaCompiler() {
        // \u0022 is a double quote: Java would process it before lexing if it reached the source.
        PolicySet set = Conditions.single("action == '\\u0022); System.exit(10); (\\u0022'");
        assertFalse(PolicyCompiler.source(set).contains("\\u0022"));
        CompiledPolicy p = PolicyCompiler.compile(set);
        assertEquals(List.of("r"), p.decide(PolicyRequest.builder("\"); System.exit(10); (\"").build()).matchedRules());
    }

    @Test
    void payloadsInRuleNamesAndReasonsOnlyReachSanitisedComments() {
        StringBuilder yaml = new StringBuilder("policies:\n");
        int i = 0;
        for (String payload : PAYLOADS) {
            yaml.append("  - name: ").append(Conditions.yamlQuote(payload + " #" + i++)).append('\n')
                    .append("    condition: \"action == 'x'\"\n")
                    .append("    effect: deny\n")
                    .append("    reason: ").append(Conditions.yamlQuote(payload)).append('\n');
        }
        PolicySet set = PolicyLoader.parse("names.yaml", yaml.toString());
        String source = PolicyCompiler.source(set);
        assertFalse(source.contains("*/ "), source);
        for (String line : source.split("\n")) {
            if (line.strip().startsWith("// rule")) {
                // A line comment of safe characters: it cannot end early or smuggle a \\u escape.
                assertTrue(line.matches("\\s*// rule \\d+: [A-Za-z0-9 _.,:-]*"), "unsafe comment: " + line);
            } else {
                assertFalse(line.contains("System.exit"), "payload outside a comment: " + line);
            }
        }
        Decision d = PolicyCompiler.compile(set).decide(PolicyRequest.builder("x").build());
        assertEquals(Effect.DENY, d.effect());
        assertEquals(PAYLOADS.size(), d.denyReasons().size());
        assertTrue(d.denyReasons().containsValue(PAYLOADS.get(0)), "reasons are kept verbatim as data");
    }

    @Test
    void argumentNamesThatAreJavaKeywordsOrPayloadsAreData() {
        PolicySet set = Conditions.single("args.class == 1 and args.in == 2 and args.System == 3 and args.exit.main == 4");
        CompiledPolicy p = PolicyCompiler.compile(set);
        PolicyRequest r = PolicyRequest.builder("x").arg("class", 1).arg("in", 2).arg("System", 3)
                .arg("exit", java.util.Map.of("main", 4)).build();
        assertEquals(List.of("r"), p.decide(r).matchedRules());
    }

    static String dslString(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\'' -> sb.append("\\'");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }
}
