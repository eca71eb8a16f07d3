package dev.magistrate.console.chat;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.magistrate.policy.Tier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where approval requests are posted in chat, read from the YAML file the console backend's {@code chat}
 * setting names (see docs/approvals.md, "Slack, Teams and webhooks"). Secrets are never written in it: each
 * is read from the file a {@code *_file} field names (relative to this file's directory). Every problem is
 * reported with file, line, column and field; a secret's value never appears in a message.
 */
public record ChatConfig(URI consoleUrl, Slack slack, Teams teams, Webhook webhook, List<Route> routes, Escalation escalation) {

    public static final URI SLACK_API = URI.create("https://slack.com/api");

    /** A Slack app: Web API base URL, bot token ({@code xoxb-...}), and the signing secret its callbacks are signed with. */
    public record Slack(URI apiUrl, String botToken, byte[] signingSecret) {
        @Override
        public String toString() {
            return "Slack[" + apiUrl + ", bot token and signing secret not shown]";
        }
    }

    /** Teams channels by name (their incoming-webhook URLs), and the outgoing webhook's HMAC secret (base64-decoded). */
    public record Teams(Map<String, URI> channels, byte[] hmacSecret) {
        @Override
        public String toString() {
            return "Teams[" + channels.keySet() + ", HMAC secret not shown]";
        }
    }

    /** A generic JSON webhook: where requests go, the secret that signs them, and the separate secret votes coming back are signed with. */
    public record Webhook(URI url, byte[] signingSecret, byte[] callbackSecret) {
        @Override
        public String toString() {
            return "Webhook[" + url + ", secrets not shown]";
        }
    }

    /** Where one notification goes: a Slack channel id, a Teams channel name, the webhook; any of them. */
    public record Target(String slackChannel, String teamsChannel, boolean webhook) {
        static final Target NONE = new Target(null, null, false);
    }

    /**
     * Requests whose tier is one of {@code tiers} (any when empty) and that need one of {@code roles} (any when
     * empty) go to {@code target}. Every matching route posts.
     */
    public record Route(Set<Tier> tiers, Set<String> roles, Target target) {
        boolean matches(Tier tier, Set<String> requestRoles) {
            if (!tiers.isEmpty() && !tiers.contains(tier)) return false;
            if (roles.isEmpty()) return true;
            for (String r : requestRoles) if (roles.contains(r)) return true;
            return false;
        }
    }

    /**
     * When a request has waited {@code after} (a share of its timeout, 0 &lt; after &lt; 1), it is posted again, to its
     * routes, to those of {@code roles}, and to {@code target}; the message names {@code roles} as escalated to.
     */
    public record Escalation(double after, List<String> roles, Target target) {
        static final Escalation DEFAULT = new Escalation(0.5, List.of(), Target.NONE);
    }

    public static ChatConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("chat configuration " + file + ": " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** Parses YAML text; {@code source} names it in messages, and secret files are resolved against its directory. */
    public static ChatConfig parse(Path source, String yaml) {
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            return new Reader(source, p).read();
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            throw new ChatConfigException(source, loc != null ? loc.getLineNr() : 0, loc != null ? loc.getColumnNr() : 0, null,
                    "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("chat configuration " + source + ": " + e.getMessage(), e);
        }
    }

    /** The targets a request goes to: every route matching its tier and roles, deduplicated, in file order. */
    List<Target> targetsFor(Tier tier, Set<String> roles) {
        Set<Target> out = new LinkedHashSet<>();
        for (Route r : routes) if (r.matches(tier, roles)) out.add(r.target());
        return new ArrayList<>(out);
    }

    private static final class Reader {
        private final Path file;
        private final JsonParser p;

        Reader(Path file, JsonParser p) {
            this.file = file;
            this.p = p;
        }

        ChatConfig read() throws IOException {
            if (p.nextToken() == null) throw error(p.currentLocation(), null, "the file is empty; expected a mapping with console_url and routes");
            requireMapping(null, "expected a mapping with console_url, slack, teams, webhook, routes, escalation");
            URI consoleUrl = null;
            Slack slack = null;
            Teams teams = null;
            Webhook webhook = null;
            List<Route> routes = null;
            Escalation escalation = Escalation.DEFAULT;
            List<TargetReader> targets = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                if (!seen.add(field)) throw error(at, field, "given twice");
                p.nextToken();
                switch (field) {
                    case "console_url" -> consoleUrl = url(field);
                    case "slack" -> slack = readSlack();
                    case "teams" -> teams = readTeams();
                    case "webhook" -> webhook = readWebhook();
                    case "routes" -> routes = readRoutes(targets);
                    case "escalation" -> escalation = readEscalation(targets);
                    default -> throw error(at, field, "unknown field (expected console_url, slack, teams, webhook, routes, escalation)");
                }
            }
            if (consoleUrl == null) throw error(p.currentTokenLocation(), "console_url", "missing: chat messages link to the console (T3 and MFA are decided there)");
            if (routes == null) throw error(p.currentTokenLocation(), "routes", "missing: which requests go to which channel");
            for (TargetReader t : targets) {
                if (t.slack != null && slack == null) throw error(t.slackAt, t.path + ".slack", "names a Slack channel, but there is no 'slack' section");
                if (t.teams != null && (teams == null || !teams.channels().containsKey(t.teams))) {
                    throw error(t.teamsAt, t.path + ".teams", "no Teams channel '" + t.teams + "' under teams.channels"
                            + (teams == null ? " (there is no 'teams' section)" : " (known: " + teams.channels().keySet() + ")"));
                }
                if (t.webhook && webhook == null) throw error(t.webhookAt, t.path + ".webhook", "is true, but there is no 'webhook' section");
            }
            return new ChatConfig(consoleUrl, slack, teams, webhook, List.copyOf(routes), escalation);
        }

        private Slack readSlack() throws IOException {
            requireMapping("slack", "a mapping with api_url, bot_token_file, signing_secret_file");
            JsonLocation start = p.currentTokenLocation();
            URI api = SLACK_API;
            String token = null;
            byte[] signing = null;
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                String field = "slack." + name;
                JsonLocation at = p.currentTokenLocation();
                if (!seen.add(field)) throw error(at, field, "given twice");
                p.nextToken();
                switch (name) {
                    case "api_url" -> api = url(field);
                    case "bot_token_file" -> token = new String(secret(field), StandardCharsets.UTF_8);
                    case "signing_secret_file" -> signing = secret(field);
                    default -> throw error(at, field, "unknown field (expected api_url, bot_token_file, signing_secret_file)");
                }
            }
            if (token == null) throw error(start, "slack.bot_token_file", "missing: the bot token posts and updates messages");
            if (signing == null) throw error(start, "slack.signing_secret_file", "missing: without it no button press can be verified");
            return new Slack(api, token, signing);
        }

        private Teams readTeams() throws IOException {
            requireMapping("teams", "a mapping with channels and hmac_secret_file");
            JsonLocation start = p.currentTokenLocation();
            Map<String, URI> channels = null;
            byte[] hmac = null;
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                String field = "teams." + name;
                JsonLocation at = p.currentTokenLocation();
                if (!seen.add(field)) throw error(at, field, "given twice");
                p.nextToken();
                switch (name) {
                    case "channels" -> {
                        requireMapping(field, "a mapping from a channel name to its incoming-webhook URL");
                        channels = new LinkedHashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String channel = p.currentName();
                            JsonLocation channelAt = p.currentTokenLocation();
                            p.nextToken();
                            if (channels.put(channel, url(field + "." + channel)) != null) throw error(channelAt, field + "." + channel, "given twice");
                        }
                    }
                    case "hmac_secret_file" -> {
                        JsonLocation valueAt = p.currentTokenLocation();
                        try {
                            hmac = Base64.getDecoder().decode(new String(secret(field), StandardCharsets.US_ASCII));
                        } catch (IllegalArgumentException e) {
                            throw error(valueAt, field, "the file does not hold base64 (Teams shows the outgoing webhook's security token in base64)");
                        }
                    }
                    default -> throw error(at, field, "unknown field (expected channels, hmac_secret_file)");
                }
            }
            if (channels == null || channels.isEmpty()) throw error(start, "teams.channels", "missing: at least one channel name and its incoming-webhook URL");
            if (hmac == null) throw error(start, "teams.hmac_secret_file", "missing: without it no Teams callback can be verified");
            return new Teams(Map.copyOf(channels), hmac);
        }

        private Webhook readWebhook() throws IOException {
            requireMapping("webhook", "a mapping with url, signing_secret_file, callback_secret_file");
            JsonLocation start = p.currentTokenLocation();
            URI url = null;
            byte[] signing = null;
            byte[] callback = null;
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                String field = "webhook." + name;
                JsonLocation at = p.currentTokenLocation();
                if (!seen.add(field)) throw error(at, field, "given twice");
                p.nextToken();
                switch (name) {
                    case "url" -> url = url(field);
                    case "signing_secret_file" -> signing = secret(field);
                    case "callback_secret_file" -> callback = secret(field);
                    default -> throw error(at, field, "unknown field (expected url, signing_secret_file, callback_secret_file)");
                }
            }
            if (url == null) throw error(start, "webhook.url", "missing: where requests are posted");
            if (signing == null) throw error(start, "webhook.signing_secret_file", "missing: what signs the requests posted");
            if (callback == null) throw error(start, "webhook.callback_secret_file", "missing: what signs the votes coming back");
            if (MessageDigest.isEqual(signing, callback)) {
                throw error(start, "webhook.callback_secret_file", "must differ from signing_secret_file: one secret, one purpose");
            }
            return new Webhook(url, signing, callback);
        }

        private List<Route> readRoutes(List<TargetReader> targets) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) throw error(p.currentTokenLocation(), "routes", "must be a list");
            List<Route> routes = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String path = "routes[" + routes.size() + "]";
                JsonLocation start = p.currentTokenLocation();
                requireMapping(path, "each route is a mapping with tiers, roles and at least one of slack, teams, webhook");
                Set<Tier> tiers = EnumSet.noneOf(Tier.class);
                Set<String> roles = new LinkedHashSet<>();
                TargetReader target = new TargetReader(path);
                Set<String> seen = new HashSet<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String field = path + "." + name;
                    JsonLocation at = p.currentTokenLocation();
                    if (!seen.add(name)) throw error(at, field, "given twice");
                    p.nextToken();
                    switch (name) {
                        case "tiers" -> {
                            for (Located s : strings(field)) {
                                try {
                                    tiers.add(Tier.valueOf(s.text));
                                } catch (IllegalArgumentException e) {
                                    throw error(s.at, field, "'" + s.text + "' is not a tier (T1, T2, T3)");
                                }
                            }
                        }
                        case "roles" -> strings(field).forEach(s -> roles.add(s.text));
                        default -> {
                            if (!target.field(name, field)) throw error(at, field, "unknown field (expected tiers, roles, slack, teams, webhook)");
                        }
                    }
                }
                Target t = target.target();
                if (t.equals(Target.NONE)) throw error(start, path, "goes nowhere: name a slack channel, a teams channel, or webhook: true");
                targets.add(target);
                routes.add(new Route(Set.copyOf(tiers), Set.copyOf(roles), t));
            }
            return routes;
        }

        private Escalation readEscalation(List<TargetReader> targets) throws IOException {
            requireMapping("escalation", "a mapping with after, roles, slack, teams, webhook");
            double after = Escalation.DEFAULT.after();
            List<String> roles = new ArrayList<>();
            TargetReader target = new TargetReader("escalation");
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                String field = "escalation." + name;
                JsonLocation at = p.currentTokenLocation();
                if (!seen.add(name)) throw error(at, field, "given twice");
                p.nextToken();
                switch (name) {
                    case "after" -> {
                        if (!p.currentToken().isNumeric()) throw error(p.currentTokenLocation(), field, "a share of the timeout, like 0.5");
                        after = p.getDoubleValue();
                        if (!(after > 0 && after < 1)) throw error(p.currentTokenLocation(), field, "must be between 0 and 1 (a share of the timeout), got " + after);
                    }
                    case "roles" -> strings(field).forEach(s -> roles.add(s.text));
                    default -> {
                        if (!target.field(name, field)) throw error(at, field, "unknown field (expected after, roles, slack, teams, webhook)");
                    }
                }
            }
            Target t = target.target();
            targets.add(target);
            return new Escalation(after, List.copyOf(roles), t);
        }

        /** The target fields a route and the escalation share. */
        private final class TargetReader {
            final String path;
            String slack;
            String teams;
            boolean webhook;
            JsonLocation slackAt;
            JsonLocation teamsAt;
            JsonLocation webhookAt;

            TargetReader(String path) {
                this.path = path;
            }

            boolean field(String name, String path) throws IOException {
                switch (name) {
                    case "slack" -> {
                        slackAt = p.currentTokenLocation();
                        slack = scalar(path);
                    }
                    case "teams" -> {
                        teamsAt = p.currentTokenLocation();
                        teams = scalar(path);
                    }
                    case "webhook" -> {
                        webhookAt = p.currentTokenLocation();
                        JsonToken t = p.currentToken();
                        if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) throw error(p.currentTokenLocation(), path, "true or false");
                        webhook = t == JsonToken.VALUE_TRUE;
                    }
                    default -> {
                        return false;
                    }
                }
                return true;
            }

            Target target() {
                return new Target(slack, teams, webhook);
            }
        }

        private record Located(JsonLocation at, String text) {
        }

        private List<Located> strings(String field) throws IOException {
            List<Located> out = new ArrayList<>();
            if (p.currentToken() == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) out.add(new Located(p.currentTokenLocation(), scalar(field + "[" + out.size() + "]")));
            } else {
                out.add(new Located(p.currentTokenLocation(), scalar(field)));
            }
            return out;
        }

        private URI url(String field) throws IOException {
            JsonLocation at = p.currentTokenLocation();
            String text = scalar(field);
            try {
                URI u = new URI(text);
                if (u.getScheme() == null || !(u.getScheme().equals("https") || u.getScheme().equals("http")) || u.getHost() == null) {
                    throw error(at, field, "must be an absolute http(s) URL, got '" + text + "'");
                }
                return u;
            } catch (URISyntaxException e) {
                throw error(at, field, "not a URL: " + e.getReason());
            }
        }

        /** The contents of the file the field names, trimmed; the value itself is never quoted. */
        private byte[] secret(String field) throws IOException {
            JsonLocation at = p.currentTokenLocation();
            Path f = file.toAbsolutePath().getParent().resolve(scalar(field));
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw error(at, field, "cannot read " + f + ": " + e.getClass().getSimpleName() + (e.getMessage() != null ? " " + e.getMessage() : ""));
            }
            if (text.isEmpty()) throw error(at, field, f + " is empty");
            return text.getBytes(StandardCharsets.UTF_8);
        }

        private String scalar(String field) throws IOException {
            JsonToken t = p.currentToken();
            if (t == null || !t.isScalarValue() || t == JsonToken.VALUE_NULL) throw error(p.currentTokenLocation(), field, "must be a single value");
            String s = p.getText();
            if (s.isBlank()) throw error(p.currentTokenLocation(), field, "cannot be blank");
            return s;
        }

        private void requireMapping(String field, String what) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) throw error(p.currentTokenLocation(), field, "must be " + what);
        }

        private ChatConfigException error(JsonLocation loc, String field, String problem) {
            return new ChatConfigException(file, loc.getLineNr(), loc.getColumnNr(), field, problem);
        }
    }
}
