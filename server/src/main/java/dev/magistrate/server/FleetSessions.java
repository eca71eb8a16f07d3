package dev.magistrate.server;

import dev.magistrate.console.ConsoleSessions;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The fleet console's sign-in sessions, in the {@code sessions} table so that any replica serves any approver. The rules
 * are the engine console's ({@link ConsoleSessions}): a session id is 256 random bits, given to the browser once and
 * stored only as its SHA-256; it ends after {@link ConsoleSessions#IDLE} unused, after {@link ConsoleSessions#ABSOLUTE}
 * in any case, or at sign-out; only {@link #open} makes one, always with a new id. Expiry uses the database's clock.
 */
final class FleetSessions {

    /** A signed-in person; {@code csrf} must come back with each form post ({@link dev.magistrate.console.SameOriginGuard}). */
    record Session(String idSha256, String approverId, String how, String csrf) {
    }

    private static final String LIVE = "last_used > clock_timestamp() - ? * interval '1 second' AND created_at > clock_timestamp() - ? * interval '1 second'";

    private final DataSource db;

    FleetSessions(DataSource db) {
        this.db = db;
    }

    /** A new session; returns the cookie value, the only copy of the id. Ended sessions are deleted on the way. */
    String open(String approverId, String how) {
        String id = ConsoleSessions.random();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement purge = c.prepareStatement("DELETE FROM sessions WHERE NOT (" + LIVE + ")")) {
                expiry(purge, 1);
                purge.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (id_sha256, approver_id, how, csrf) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, ConsoleSessions.sha256(id));
                ps.setString(2, approverId);
                ps.setString(3, how);
                ps.setString(4, ConsoleSessions.random());
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
        return id;
    }

    /** The live session this cookie value names, touched when {@code use} (one statement); empty when there is none. */
    Optional<Session> find(String cookie, boolean use) {
        if (cookie == null || cookie.length() != 43) return Optional.empty();
        String sql = use ? "UPDATE sessions SET last_used = clock_timestamp() WHERE id_sha256 = ? AND " + LIVE + " RETURNING id_sha256, approver_id, how, csrf"
                : "SELECT id_sha256, approver_id, how, csrf FROM sessions WHERE id_sha256 = ? AND " + LIVE;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, ConsoleSessions.sha256(cookie));
            expiry(ps, 2);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Session(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    /** The session's one-time message, now cleared; null when there is none. */
    String takeFlash(Session s) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE sessions n SET flash = NULL FROM sessions o WHERE n.id_sha256 = ? AND o.id_sha256 = n.id_sha256"
                     + " AND o.flash IS NOT NULL RETURNING o.flash")) {
            ps.setString(1, s.idSha256());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    void flash(Session s, String message) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE sessions SET flash = ? WHERE id_sha256 = ?")) {
            ps.setString(1, message.length() <= 2000 ? message : message.substring(0, 2000));
            ps.setString(2, s.idSha256());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    void close(Session s) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE id_sha256 = ?")) {
            ps.setString(1, s.idSha256());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    private static void expiry(PreparedStatement ps, int first) throws SQLException {
        ps.setLong(first, ConsoleSessions.IDLE.toSeconds());
        ps.setLong(first + 1, ConsoleSessions.ABSOLUTE.toSeconds());
    }
}
