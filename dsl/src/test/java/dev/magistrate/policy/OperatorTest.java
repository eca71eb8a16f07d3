package dev.magistrate.policy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.magistrate.policy.Conditions.holds;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every operator and function of the language, each with cases that hold and cases that do not.
 * The request used everywhere is below; every case runs compiled and through the reference.
 */
class OperatorTest {

    enum Mode { FAST, SAFE }

    public record Order(String id, Object amount) {
    }

    static final PolicyRequest REQUEST = PolicyRequest.builder("deploy")
            .resource("prod/web")
            .agent("cost-agent-7")
            .justification("CPU spike during DDoS")
            .urgency("high")
            .cost(4200)
            .time(Instant.parse("2026-11-21T03:15:00Z")) // a Saturday
            .arg("environment", "production")
            .arg("replicas", 200)
            .arg("small", 3L)
            .arg("price", new BigDecimal("19.99"))
            .arg("ratio", 0.5d)
            .arg("amount_text", "5000")
            .arg("tags", List.of("prod", "web", "eu"))
            .arg("order", new Order("A-17", 5000))
            .arg("meta", Map.of("owner", "sre", "tier", 2))
            .arg("dry_run", true)
            .arg("flag_text", "true")
            .arg("mode", Mode.SAFE)
            .arg("wait", Duration.ofMinutes(45))
            .arg("empty", "")
            .arg("nothing", null)
            .build();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', value = {
            // equality, strings and numbers
            "action == 'deploy' => true",
            "action == \"deploy\" => true",
            "action == 'Deploy' => false",
            "action != 'delete' => true",
            "action != 'deploy' => false",
            "'deploy' == action => true",
            "replicas == 200 => true",
            "replicas == 200.0 => true",
            "replicas != 10 => true",
            "price == 19.99 => true",
            "price == 19.990 => true",
            "ratio == 0.5 => true",
            "amount_text == 5000 => true",
            "amount_text == '5000' => true",
            "amount_text == '5000.0' => false",
            "cost == 4200 => true",
            "dry_run == true => true",
            "dry_run == false => false",
            "dry_run => true",
            "flag_text => true",                      // the text true is true, like a boolean (docs: Booleans)
            "not flag_text => false",
            "mode == 'SAFE' => true",
            "tags == ['prod', 'web', 'eu'] => true",
            "tags == ['prod', 'web'] => false",
            // ordering
            "replicas > 100 => true",
            "replicas > 200 => false",
            "replicas >= 200 => true",
            "replicas < 201 => true",
            "replicas <= 199 => false",
            "100 < replicas => true",
            "cost > 4199.5 => true",
            "price < 20 => true",
            "price > 19.989 => true",
            "amount_text > 4999 => true",
            "amount_text >= '5000' => true",
            "ratio < 1 => true",
            "small * 2 < replicas => true",
            "resource > 'prod/a' => true",
            "resource < 'prod/a' => false",
            "wait > 30m => true",
            "wait >= 45m => true",
            "wait < 1h => true",
            "wait > 1h => false",
            "wait == 2700s => true",
            // logic, with every spelling
            "action == 'deploy' and replicas > 100 => true",
            "action == 'deploy' AND replicas > 100 => true",
            "action == 'deploy' && replicas > 100 => true",
            "action == 'x' or replicas > 100 => true",
            "action == 'x' OR replicas > 100 => true",
            "action == 'x' || replicas > 100 => true",
            "action == 'x' Or replicas > 1000 => false",
            "not action == 'x' => true",
            "NOT action == 'deploy' => false",
            "!(action == 'deploy') => false",
            "! dry_run => false",
            "true and not false => true",
            "action == 'x' or action == 'y' and true => false",
            "(action == 'x' or action == 'deploy') and true => true",
            // membership and text
            "action in ['deploy', 'scale'] => true",
            "action in ['scale'] => false",
            "replicas in [100, 200] => true",
            "replicas in ['200'] => true",
            "action not in ['scale', 'delete'] => true",
            "action not in ['deploy'] => false",
            "'web' in tags => true",
            "'db' in tags => false",
            "tags contains 'eu' => true",
            "tags contains 'us' => false",
            "justification contains 'DDoS' => true",
            "justification contains 'ddos' => false",
            "meta contains 'owner' => true",
            "resource startsWith 'prod/' => true",
            "resource STARTSWITH 'dev/' => false",
            "resource endsWith '/web' => true",
            "resource endsWith '/db' => false",
            "resource matches '^prod/' => true",
            "resource matches 'web' => true",
            "resource matches '^web' => false",
            "justification matches '(?i)ddos' => true",
            "agent matches '^cost-agent-[0-9]+$' => true",
            // arithmetic and functions
            "replicas + 10 == 210 => true",
            "replicas - 10 == 190 => true",
            "replicas * 2 == 400 => true",
            "replicas / 8 == 25 => true",
            "replicas / 3 > 66.66 => true",
            "-small == -3 => true",
            "price * 100 == 1999 => true",
            "replicas / 0 == 0 => false",
            "(replicas + small) * 2 == 406 => true",
            "replicas + small * 2 == 206 => true",
            "lower(justification) contains 'ddos' => true",
            "upper(environment) == 'PRODUCTION' => true",
            "len(tags) == 3 => true",
            "len(environment) == 10 => true",
            "len(meta) == 2 => true",
            "abs(0 - replicas) == 200 => true",
            "abs(-2.5) == 2.5 => true",
            // nested arguments
            "args.order.amount >= 5000 => true",
            "order.amount >= 5000 => true",
            "args.order.id == 'A-17' => true",
            "args.meta.owner == 'sre' => true",
            "meta.tier == 2 => true",
            "args.order.missing == null => true",
            "args.environment == 'production' => true",
            "arg0 == null => true",
            // built-ins
            "urgency == 'high' => true",
            "time.hour == 3 => true",
            "time.hour < 6 or time.hour >= 22 => true",
            "time.weekday == 'saturday' => true",
            "time.weekday in ['saturday', 'sunday'] => true",
            // missing attributes: every comparison false, == null tests for them
            "missing == 'x' => false",
            "missing != 'x' => false",
            "missing > 5 => false",
            "missing < 5 => false",
            "missing == null => true",
            "missing != null => false",
            "nothing == null => true",
            "environment != null => true",
            "not (missing > 5) => true",
            "missing in ['a'] => false",
            "missing not in ['a'] => false",
            "missing contains 'a' => false",
            "missing startsWith 'a' => false",
            "missing matches '.*' => false",
            "missing + 1 == 1 => false",
            "len(missing) == 0 => false",
            "missing => false",
            "null == null => true",
            "empty == '' => true",
            "len(empty) == 0 => true",
            // mixed types never throw
            "environment > 5 => false",
            "tags > 5 => false",
            "dry_run > 0 => false",
            "environment + 1 == 1 => false",
            "wait > 5 => false",
    })
    void operator(String condition, boolean expected) {
        assertEquals(expected, holds(condition.strip(), REQUEST), condition);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', value = {
            "'it\\'s' == \"it's\"",
            "'say \"hi\"' == \"say \\\"hi\\\"\"",
            "'a\\\\b' == \"a\\\\b\"",
            "'\\u0041' == 'A'",
            "len('tab\\there') == 8",
            "len('line\\nbreak') == 10",
            "len('\\d') == 2",
            "'(?i)\\bdrop' == '(?i)\\\\bdrop'",
    })
    void stringEscapes(String condition) {
        assertEquals(true, holds(condition.strip(), REQUEST), condition);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', value = {
            "90s > 1m",
            "1h30m == 90m",
            "2h > 119m",
            "1d == 24h",
            "500ms < 1s",
    })
    void durationLiterals(String condition) {
        assertEquals(true, holds(condition.strip(), REQUEST), condition);
    }
}
