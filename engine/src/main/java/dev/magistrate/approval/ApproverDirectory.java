package dev.magistrate.approval;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may approve, read from a YAML file:
 * <pre>
 * approvers:
 *   - id: alice
 *     name: Alice Martin          # optional, defaults to the id
 *     roles: [senior_dev, devops]
 *     totp_secret: JBSWY3DPEHPK3PXP   # optional, base32 (RFC 4648); needed for T3 / MFA
 *     token_sha256: 9f86d0…           # optional, SHA-256 hex of the personal token; votes through the console API and CLI
 *     password_hash: $argon2id$v=19$… # optional, Argon2id hash of the console password ('magistrate approvers password')
 *     slack_user: U024BE7LH           # optional, Slack user id whose signed button presses vote as this approver
 *     teams_user: 29:1a2b…            # optional, Teams user id, likewise
 * </pre>
 * Every problem is reported with file, line, column and field; a secret's value never appears in a message.
 */
public final class ApproverDirectory {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._@+-]{1,128}");
    private static final YAMLFactory YAML = new YAMLFactory();
    private static final String FIELDS = "id, name, roles, totp_secret, token_sha256, password_hash, slack_user, teams_user";

    private final Map<String, Approver> byId;

    private ApproverDirectory(Map<String, Approver> byId) {
        this.byId = Collections.unmodifiableMap(byId);
    }

    public static ApproverDirectory of(Collection<Approver> approvers) {
        Map<String, Approver> m = new LinkedHashMap<>();
        for (Approver a : approvers) {
            if (m.put(a.id(), a) != null) throw new IllegalArgumentException("approver '" + a.id() + "' listed twice");
        }
        return new ApproverDirectory(m);
    }

    public static ApproverDirectory load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("approver directory " + file + ": " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** Parses YAML text; {@code source} names it in error messages. */
    public static ApproverDirectory parse(Path source, String yaml) {
        try (JsonParser p = YAML.createParser(yaml)) {
            return new Reader(source, p).read();
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            throw new ApproverDirectoryException(source, loc != null ? loc.getLineNr() : 0, loc != null ? loc.getColumnNr() : 0, null,
                    "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("approver directory " + source + ": " + e.getMessage(), e);
        }
    }

    public Optional<Approver> find(String id) {
        return Optional.ofNullable(id == null ? null : byId.get(id));
    }

    /** The approver whose personal token this is (constant-time per approver), if any. */
    public Optional<Approver> findByToken(String personalToken) {
        Approver owner = null;
        for (Approver a : byId.values()) {
            if (a.tokenMatches(personalToken)) owner = a; // no early exit: the time does not say which approver matched
        }
        return Optional.ofNullable(owner);
    }

    /** The approver mapped to this chat user: {@code channel} is {@code slack} or {@code teams}. */
    public Optional<Approver> findByChatUser(String channel, String userId) {
        if (userId == null || userId.isEmpty()) return Optional.empty();
        for (Approver a : byId.values()) {
            String mapped = switch (channel) {
                case "slack" -> a.slackUserId();
                case "teams" -> a.teamsUserId();
                default -> throw new IllegalArgumentException("chat channel is 'slack' or 'teams', not '" + channel + "'");
            };
            if (userId.equals(mapped)) return Optional.of(a);
        }
        return Optional.empty();
    }

    public Collection<Approver> all() {
        return byId.values();
    }

    public int size() {
        return byId.size();
    }

    private static final class Reader {
        private final Path file;
        private final JsonParser p;
        private final Map<String, Approver> approvers = new LinkedHashMap<>();
        private final Map<String, Integer> lineOfId = new LinkedHashMap<>();
        private final Map<String, String> slackOwners = new LinkedHashMap<>();
        private final Map<String, String> teamsOwners = new LinkedHashMap<>();

        Reader(Path file, JsonParser p) {
            this.file = file;
            this.p = p;
        }

        ApproverDirectory read() throws IOException {
            JsonToken t = p.nextToken();
            if (t == null) throw error(p.currentLocation(), null, "the file is empty; expected a mapping with 'approvers'");
            if (t != JsonToken.START_OBJECT) throw error(p.currentTokenLocation(), null, "expected a mapping with 'approvers'");
            boolean seen = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                p.nextToken();
                if (!name.equals("approvers")) throw error(at, name, "unknown field (expected 'approvers')");
                if (p.currentToken() != JsonToken.START_ARRAY) throw error(p.currentTokenLocation(), "approvers", "must be a list");
                seen = true;
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    readApprover("approvers[" + index++ + "]");
                }
            }
            if (!seen) throw error(p.currentTokenLocation(), "approvers", "missing");
            return new ApproverDirectory(approvers);
        }

        private void readApprover(String path) throws IOException {
            JsonLocation start = p.currentTokenLocation();
            if (p.currentToken() != JsonToken.START_OBJECT) throw error(start, path, "each approver is a mapping with " + FIELDS);
            String id = null;
            String name = null;
            List<String> roles = new ArrayList<>();
            byte[] secret = null;
            byte[] tokenSha256 = null;
            PasswordHash password = null;
            String slack = null;
            String teams = null;
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                String fieldPath = path + "." + field;
                if (!seen.add(field.equals("display_name") ? "name" : field)) throw error(at, fieldPath, "given twice");
                p.nextToken();
                JsonLocation valueAt = p.currentTokenLocation();
                switch (field) {
                    case "id" -> {
                        id = scalar(fieldPath);
                        if (!ID.matcher(id).matches()) throw error(valueAt, fieldPath, "must be 1 to 128 of [A-Za-z0-9._@+-], got '" + id + "'");
                    }
                    case "name", "display_name" -> name = scalar(fieldPath);
                    case "roles" -> {
                        if (p.currentToken() == JsonToken.START_ARRAY) {
                            int i = 0;
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                String role = scalar(fieldPath + "[" + i++ + "]");
                                if (role.isBlank()) throw error(p.currentTokenLocation(), fieldPath, "a role cannot be blank");
                                roles.add(role);
                            }
                        } else {
                            roles.add(scalar(fieldPath));
                        }
                    }
                    case "totp_secret" -> {
                        String text = scalar(fieldPath);
                        try {
                            secret = Totp.decodeBase32(text);
                        } catch (IllegalArgumentException e) {
                            throw error(valueAt, fieldPath, e.getMessage()); // the message never quotes the secret
                        }
                        if (secret.length < 10) throw error(valueAt, fieldPath, "too short: a TOTP secret needs at least 80 bits (16 base32 characters)");
                    }
                    case "token_sha256" -> {
                        try {
                            tokenSha256 = ApproverToken.parseSha256Hex(scalar(fieldPath));
                        } catch (IllegalArgumentException e) {
                            throw error(valueAt, fieldPath, e.getMessage());
                        }
                    }
                    case "password_hash" -> {
                        try {
                            password = PasswordHash.parse(scalar(fieldPath));
                        } catch (IllegalArgumentException e) {
                            throw error(valueAt, fieldPath, e.getMessage());
                        }
                    }
                    case "slack_user" -> slack = chatUser(fieldPath, valueAt, slackOwners);
                    case "teams_user" -> teams = chatUser(fieldPath, valueAt, teamsOwners);
                    default -> throw error(at, fieldPath, "unknown field (expected " + FIELDS + ")");
                }
            }
            if (id == null) throw error(start, path + ".id", "missing: every approver needs an id");
            Integer earlier = lineOfId.putIfAbsent(id, start.getLineNr());
            if (earlier != null) throw error(start, path + ".id", "approver '" + id + "' is already defined at line " + earlier);
            approvers.put(id, new Approver(id, name, roles, secret, tokenSha256, password, slack, teams));
        }

        /** A chat user id maps to one approver only: otherwise a button press would vote as whichever came first. */
        private String chatUser(String fieldPath, JsonLocation at, Map<String, String> owners) throws IOException {
            String user = scalar(fieldPath).strip();
            if (user.isEmpty() || user.length() > 256) throw error(at, fieldPath, "must be a user id of 1 to 256 characters");
            String earlier = owners.putIfAbsent(user, fieldPath);
            if (earlier != null) throw error(at, fieldPath, "user '" + user + "' is already mapped by " + earlier);
            return user;
        }

        private String scalar(String fieldPath) throws IOException {
            JsonToken t = p.currentToken();
            if (t == null || !t.isScalarValue() || t == JsonToken.VALUE_NULL) throw error(p.currentTokenLocation(), fieldPath, "must be a single value");
            return p.getText();
        }

        private ApproverDirectoryException error(JsonLocation loc, String field, String problem) {
            return new ApproverDirectoryException(file, loc.getLineNr(), loc.getColumnNr(), field, problem);
        }
    }
}
