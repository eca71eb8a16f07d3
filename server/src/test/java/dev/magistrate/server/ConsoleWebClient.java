package dev.magistrate.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser's view of the fleet console over plain HTTP: one cookie jar for 127.0.0.1 (cookies are not per port, so a
 * cookie set by one replica goes to the other, as in a real browser), no redirects followed, and form posts that send the
 * Origin a browser would send (or another, to play an attacker's page).
 */
final class ConsoleWebClient {

    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    final Map<String, String> cookies = new LinkedHashMap<>();

    record Page(int status, String body, HttpResponse<String> response) {
        String location() {
            return response.headers().firstValue("Location").orElse(null);
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** The CSRF token in the page's forms. */
        String csrf() {
            Matcher m = CSRF.matcher(body);
            if (!m.find()) throw new AssertionError("no csrf field in:\n" + body);
            return m.group(1);
        }
    }

    static String origin(FleetServer to) {
        return "http://127.0.0.1:" + to.port();
    }

    Page get(FleetServer to, String path) {
        return send(HttpRequest.newBuilder(URI.create(origin(to) + path)).GET());
    }

    /** A form post from the console's own page on {@code to}. */
    Page post(FleetServer to, String path, Map<String, String> form) {
        return post(to, path, form, origin(to));
    }

    /** A form post whose page was at {@code origin} (null: no Origin header). */
    Page post(FleetServer to, String path, Map<String, String> form, String origin) {
        String body = form.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin(to) + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/x-www-form-urlencoded");
        if (origin != null) b.header("Origin", origin);
        return send(b);
    }

    /** Opens the sign-in form and sends it; the answer is the form post's. */
    Page signIn(FleetServer to, String approver, String token, String totp) {
        String csrf = get(to, "/signin").csrf();
        Map<String, String> form = new LinkedHashMap<>(Map.of("csrf", csrf, "approver", approver, "secret", token));
        if (totp != null) form.put("totp", totp);
        return post(to, "/signin", form);
    }

    String session() {
        return cookies.get("magistrate_session");
    }

    private Page send(HttpRequest.Builder b) {
        if (!cookies.isEmpty()) {
            b.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; ")));
        }
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            for (String set : r.headers().allValues("Set-Cookie")) {
                String pair = set.split(";", 2)[0];
                int eq = pair.indexOf('=');
                String name = pair.substring(0, eq);
                if (set.contains("Max-Age=0")) cookies.remove(name);
                else cookies.put(name, pair.substring(eq + 1));
            }
            return new Page(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
