package dev.magistrate.console;

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
 * What a browser does with the console, over real HTTP on loopback: keeps the cookies it is given, sends the page's
 * Origin with each form, and reads the CSRF token out of the last page. Tests bend each of these to attack.
 */
final class WebClient {

    static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(); // never follows redirects
    final Map<String, String> cookies = new LinkedHashMap<>();
    String origin;
    String csrf;

    WebClient(String base) {
        this.base = base;
        this.origin = base;
    }

    HttpResponse<String> get(String path) throws Exception {
        HttpResponse<String> r = http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        keep(r);
        return r;
    }

    HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
        String body = form.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
        HttpRequest.Builder b = request(path).header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        if (origin != null) b.header("Origin", origin);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        keep(r);
        return r;
    }

    /** Signs in through the form, as a person would; returns the final response (303 on success). */
    HttpResponse<String> signIn(String approver, String secret) throws Exception {
        get("/signin");
        return post("/signin", Map.of("csrf", csrf, "approver", approver, "secret", secret));
    }

    String session() {
        return cookies.get(ConsoleSessions.COOKIE);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (!cookies.isEmpty()) {
            b.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; ")));
        }
        return b;
    }

    private void keep(HttpResponse<String> r) {
        for (String set : r.headers().allValues("Set-Cookie")) {
            String pair = set.split(";", 2)[0];
            int eq = pair.indexOf('=');
            String name = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (value.isEmpty() || set.contains("Max-Age=0")) cookies.remove(name);
            else cookies.put(name, value);
        }
        Matcher m = CSRF.matcher(r.body());
        if (m.find()) csrf = m.group(1);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
