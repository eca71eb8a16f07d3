package dev.magistrate.server;

import dev.magistrate.audit.Checkpoint;
import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.audit.InvalidCheckpointException;
import dev.magistrate.audit.MerkleProofs;
import dev.magistrate.log.MagistrateLog;

import javax.sql.DataSource;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The witness of the agents' audit logs (docs/fleet.md, "The checkpoint witness"). An agent sends each signed checkpoint
 * of its log with a consistency proof from the head the witness holds for it; the head moves only when the note is signed
 * by the agent's pinned log key and the proof shows the witnessed tree is a prefix of the new one. A checkpoint that forks
 * the log (same size, another root; a proof that fails) or rolls it back (smaller than the head and never witnessed) is
 * refused with 409, recorded in {@code refusals}, and alarmed (a row in {@code alarms} and an ERROR log line). One agent's
 * checkpoints are taken one at a time across replicas: each takes the agent's row lock first.
 */
final class CheckpointWitness {

    /** A consistency proof has at most about 2 log2(size) nodes; 128 covers any 63-bit tree. */
    static final int MAX_PROOF_NODES = 128;

    private final DataSource db;
    private final String replica;

    CheckpointWitness(DataSource db, String replica) {
        this.db = db;
        this.replica = replica;
    }

    /** The agent's witnessed head: its largest accepted checkpoint, or none. */
    record Head(long size, byte[] root, String note) {
        static final Head NONE = new Head(-1, null, null);

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("witnessed", size >= 0);
            if (size >= 0) {
                m.put("tree_size", size);
                m.put("root_hash", Base64.getEncoder().encodeToString(root));
                m.put("checkpoint", note);
            }
            return m;
        }
    }

    Head head(String agent) {
        try (Connection c = db.getConnection()) {
            return head(c, agent);
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    private static Head head(Connection c, String agent) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tree_size, root_hash, note FROM checkpoints WHERE agent_id = ?"
                + " ORDER BY tree_size DESC LIMIT 1")) {
            ps.setString(1, agent);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Head(rs.getLong(1), Base64.getDecoder().decode(rs.getString(2)), rs.getString(3)) : Head.NONE;
            }
        }
    }

    /**
     * Takes a checkpoint: {@code accepted} (the head moved), {@code unchanged} (the head itself again) or {@code replayed}
     * (an older checkpoint this witness already accepted: harmless, the head stays). {@code fromSize} is the head the proof
     * starts from; when it is not the witness's head the answer is 409 {@code stale_head} with the head, and no alarm.
     */
    Map<String, Object> submit(String agent, String note, Long fromSize, List<byte[]> proof) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                Map<String, Object> out = submit(c, agent, note, fromSize, proof);
                c.commit();
                return out;
            } catch (Alarm a) {
                alarm(c, agent, a);
                c.commit();
                throw a.refusal;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw FleetService.unavailable(e);
        }
    }

    /** A fork or a rollback: recorded in {@code alarms} in the same transaction, then refused. */
    private static final class Alarm extends Exception {
        final String kind;
        final Checkpoint refused;
        final String refusedNote;
        final Head head;
        final ApiException refusal;

        Alarm(String kind, Checkpoint refused, String refusedNote, Head head, String why) {
            super(why, null, false, false);
            this.kind = kind;
            this.refused = refused;
            this.refusedNote = refusedNote;
            this.head = head;
            this.refusal = new ApiException(409, null, kind + ": " + why).with("refusal", kind).with("head", head.json());
        }
    }

    private Map<String, Object> submit(Connection c, String agent, String note, Long fromSize, List<byte[]> proof) throws SQLException, Alarm {
        String logKey;
        try (PreparedStatement lock = c.prepareStatement("SELECT log_key FROM agents WHERE id = ? FOR UPDATE")) {
            lock.setString(1, agent);
            try (ResultSet rs = lock.executeQuery()) {
                rs.next();
                logKey = rs.getString(1);
            }
        }
        if (logKey == null) {
            throw new ApiException(403, null, "agent " + agent + " has no log key pinned: enroll it with enroll-agent " + agent
                    + " --log-key FILE").with("refusal", "no_log_key");
        }
        CheckpointVerifier.Signed signed;
        try {
            signed = CheckpointVerifier.fromVerifierKey(logKey).verifySigned(note);
        } catch (InvalidCheckpointException e) {
            throw ApiException.badField("checkpoint", "not signed by agent " + agent + "'s pinned log key: " + e.getMessage())
                    .with("refusal", "bad_signature");
        }
        Checkpoint cp = signed.checkpoint();
        Head head = head(c, agent);
        if (head.size() < 0) {
            insert(c, agent, signed, note);
            return accepted("accepted", head(c, agent));
        }
        Checkpoint witnessed = Checkpoint.parseBody(head.note().substring(0, head.note().indexOf("\n\n") + 1));
        if (!cp.origin().equals(witnessed.origin())) {
            throw new Alarm("fork", cp, note, head, "a checkpoint of log '" + cp.origin() + "', the witnessed log is '" + witnessed.origin() + "'");
        }
        if (cp.size() <= head.size()) {
            byte[] seen = cp.size() == head.size() ? head.root() : rootAt(c, agent, cp.size());
            if (seen != null && MessageDigest.isEqual(seen, cp.rootHash())) {
                return accepted(cp.size() == head.size() ? "unchanged" : "replayed", head);
            }
            if (seen != null) {
                throw new Alarm("fork", cp, note, head, "a checkpoint of " + cp.size() + " entries whose root is not the one witnessed"
                        + " for that size: two histories signed with one log key");
            }
            throw new Alarm("rollback", cp, note, head, "a checkpoint of " + cp.size() + " entries, but the witnessed head has "
                    + head.size() + ": the log was truncated or restored from an older copy");
        }
        if (fromSize == null || fromSize != head.size()) {
            throw new ApiException(409, "from_size", "stale_head: the proof runs from " + (fromSize == null ? "no head" : fromSize + " entries")
                    + ", the witnessed head has " + head.size() + "; prove from it (see head)").with("refusal", "stale_head").with("head", head.json());
        }
        if (!MerkleProofs.verifyConsistency(head.size(), cp.size(), head.root(), cp.rootHash(), proof)) {
            throw new Alarm("fork", cp, note, head, "the consistency proof from the witnessed head of " + head.size() + " entries to "
                    + cp.size() + " fails: the log does not extend the history witnessed");
        }
        insert(c, agent, signed, note);
        return accepted("accepted", head(c, agent));
    }

    private static byte[] rootAt(Connection c, String agent, long size) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT root_hash FROM checkpoints WHERE agent_id = ? AND tree_size = ?")) {
            ps.setString(1, agent);
            ps.setLong(2, size);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Base64.getDecoder().decode(rs.getString(1)) : null;
            }
        }
    }

    private void insert(Connection c, String agent, CheckpointVerifier.Signed signed, String note) throws SQLException {
        Checkpoint cp = signed.checkpoint();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO checkpoints (agent_id, tree_size, root_hash, key_id, signature, note, replica)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, agent);
            ps.setLong(2, cp.size());
            ps.setString(3, Base64.getEncoder().encodeToString(cp.rootHash()));
            ps.setString(4, signed.signerKey());
            ps.setString(5, note.substring(note.indexOf("\n\n") + 2));
            ps.setString(6, note);
            ps.setString(7, replica);
            ps.executeUpdate();
        }
    }

    private static Map<String, Object> accepted(String status, Head head) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status);
        m.put("head", head.json());
        return m;
    }

    private void alarm(Connection c, String agent, Alarm a) throws SQLException {
        c.rollback(); // nothing of the refused checkpoint stays but the alarm
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO alarms (replica, agent_id, kind, tree_size, head_size, detail,"
                + " refused_note, head_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, replica);
            ps.setString(2, agent);
            ps.setString(3, a.kind);
            ps.setLong(4, a.refused.size());
            ps.setLong(5, a.head.size());
            ps.setString(6, a.getMessage());
            ps.setString(7, a.refusedNote);
            ps.setString(8, a.head.note());
            ps.executeUpdate();
        }
        MagistrateLog.error(CheckpointWitness.class, "ALARM: agent " + agent + "'s audit log " + a.kind + " (replica " + replica + "): "
                + a.getMessage() + "; the checkpoint was refused, the witnessed head stays at " + a.head.size() + " entries", null);
    }
}
