package dev.magistrate.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The console's sign-in sessions. A session id is 256 random bits, given to the browser once (the cookie) and kept
 * here only as its SHA-256, so a heap dump or a log line of this map cannot be replayed as a cookie. A session ends
 * after {@link #IDLE} without use, after {@link #ABSOLUTE} in any case, or at sign-out. Only {@link #open} makes a
 * session, always with a new id, so a cookie value the server did not issue (session fixation) is never honoured.
 * At most {@link #MAX_SESSIONS}; the least recently used makes room.
 * The fleet service keeps its sessions in PostgreSQL instead (so any replica serves any approver), by the same rules:
 * it uses the expiries, the cookie and the hashing here.
 */
public final class ConsoleSessions {

    public static final Duration IDLE = Duration.ofMinutes(30);
    public static final Duration ABSOLUTE = Duration.ofHours(12);
    static final int MAX_SESSIONS = 1_000;
    public static final String COOKIE = "magistrate_session";
    /** The sign-in form's CSRF token travels in this short cookie, since no session exists yet. */
    public static final String SIGNIN_COOKIE = "magistrate_signin";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A signed-in person. {@code csrf} goes into every form of their pages and must come back with each state change. */
    static final class Session {
        final String approverId;
        final String how;
        final String csrf = random();
        final Instant created;
        Instant lastUsed;
        /** A one-time message for the next page (the result of a vote), or null. */
        String flash;

        Session(String approverId, String how, Instant created) {
            this.approverId = approverId;
            this.how = how;
            this.created = created;
            this.lastUsed = created;
        }

        /** Compares in constant time. */
        boolean csrfMatches(String presented) {
            return presented != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
        }

        synchronized String takeFlash() {
            String f = flash;
            flash = null;
            return f;
        }

        synchronized void flash(String message) {
            flash = message;
        }
    }

    private final LinkedHashMap<String, Session> byIdHash = new LinkedHashMap<>(16, 0.75f, true); // access order: eldest = least recently used

    /** A new session; returns the cookie value, the only copy of the id. */
    synchronized String open(String approverId, String how, Instant now) {
        String id = random();
        byIdHash.put(sha256(id), new Session(approverId, how, now));
        if (byIdHash.size() > MAX_SESSIONS) {
            Iterator<String> eldest = byIdHash.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
        return id;
    }

    /** The live session this cookie value names, touched; null when there is none (never issued, expired, signed out). */
    synchronized Session find(String cookie, Instant now) {
        if (cookie == null || cookie.length() != 43) return null;
        String key = sha256(cookie);
        Session s = byIdHash.get(key);
        if (s == null) return null;
        if (!now.isBefore(s.lastUsed.plus(IDLE)) || !now.isBefore(s.created.plus(ABSOLUTE))) {
            byIdHash.remove(key);
            return null;
        }
        s.lastUsed = now;
        return s;
    }

    synchronized void close(String cookie) {
        if (cookie != null) byIdHash.remove(sha256(cookie));
    }

    synchronized int size() {
        return byIdHash.size();
    }

    /** 256 random bits, URL-safe base64 without padding (43 characters). */
    public static String random() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The SHA-256 of a session id, hex: all a session store keeps of it. */
    public static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of cookie {@code name} in a {@code Cookie} header, or null. */
    public static String cookie(String header, String name) {
        if (header == null) return null;
        for (String part : header.split(";")) {
            String p = part.strip();
            if (p.startsWith(name + "=")) return p.substring(name.length() + 1);
        }
        return null;
    }

    /** The Set-Cookie value for a new session. {@code secure} when served over https. */
    public static String setCookie(String id, boolean secure) {
        return COOKIE + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }

    /** The browser's sign-in form token: the one its cookie holds (a second tab, or the favicon's fetch, must not void the first form), else a new one. */
    public static String signInToken(String cookieHeader) {
        String token = cookie(cookieHeader, SIGNIN_COOKIE);
        return token != null && token.matches("[A-Za-z0-9_-]{43}") ? token : random();
    }

    public static String signInCookie(String token, boolean secure) {
        return SIGNIN_COOKIE + "=" + token + "; Path=/signin; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }

    public static String clearCookie(boolean secure) {
        return COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }
}
