package dev.magistrate.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import dev.magistrate.audit.Checkpoint;
import dev.magistrate.audit.ChronicleAuditLog;
import dev.magistrate.audit.LogRecord;
import dev.magistrate.audit.MerkleProofs;
import dev.magistrate.audit.MerkleTree;
import dev.magistrate.log.MagistrateLog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Ships each signed checkpoint of the audit log to the fleet service, the log's witness (docs/fleet.md, "The checkpoint
 * witness"), from its own thread: the thread that signs a checkpoint only hands the note over, so no governed call waits
 * for the network. The witness moves its head only with a consistency proof from the head it holds, so the shipper keeps
 * that head's Merkle frontier and the leaf hashes read since (tailing the log on disk): a proof costs the entries since
 * the last shipment, not the whole log. Only the newest checkpoint is shipped: one that could not be (no replica
 * answered) is covered by the next, whose proof runs from the witnessed head; retries back off from 1 s to 60 s. A
 * refusal (a fork, a rollback, a bad signature, an unknown agent) is an ERROR log line and a {@code WITNESS_REFUSED}
 * entry in the log, and ends the shipping until the engine restarts: every later checkpoint would be refused alike.
 */
public final class CheckpointShipper implements AutoCloseable {

    static final long FIRST_BACKOFF_MS = 1_000, MAX_BACKOFF_MS = 60_000;
    /** Route of the witness (the service's openapi.yaml). */
    public static final String CHECKPOINTS = "/v1/checkpoints", HEAD = "/v1/checkpoints/head";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> urls;
    private final String token;
    private final ChronicleAuditLog log;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread thread;
    private final Object signal = new Object();
    private String latest; // guarded by signal
    private volatile boolean closed;
    private volatile long witnessedSize = -1;

    // The shipper thread's own state.
    private Head head;
    private String shipped;
    /** The tree of the first base.size() entries, kept as its frontier, and the leaf hashes of the entries after it. */
    private MerkleTree base = new MerkleTree();
    private final List<byte[]> after = new ArrayList<>();
    private AuditLogReader reader;

    /** The witness's head as it told us: size -1 when it holds none for this agent. */
    private record Head(long size, String note) {
        static final Head NONE = new Head(-1, null);
    }

    /** No replica answered (or each answered 5xx/429): try again later. */
    private static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message, null, false, false);
        }
    }

    /** The witness refused the checkpoint. */
    private static final class Refused extends Exception {
        final AuditPayload.WitnessRefused entry;

        Refused(AuditPayload.WitnessRefused entry) {
            super(entry.reason(), null, false, false);
            this.entry = entry;
        }
    }

    private CheckpointShipper(FleetSettings fleet, String token, ChronicleAuditLog log, Clock clock) {
        this.urls = fleet.urls();
        this.token = token;
        this.log = log;
        this.clock = clock;
        this.thread = new Thread(this::run, "magistrate-checkpoint-witness");
        thread.setDaemon(true);
    }

    /**
     * Starts shipping {@code log}'s checkpoints: the one it holds now, then each one it signs.
     *
     * @throws IllegalArgumentException the token file cannot be read or is empty (named, the token never shown)
     */
    public static CheckpointShipper start(FleetSettings fleet, ChronicleAuditLog log, Clock clock) {
        CheckpointShipper s = new CheckpointShipper(fleet, readToken(fleet.tokenFile()), log, clock);
        Path file = log.directory().resolve(AuditLogVerifier.CHECKPOINT_FILE);
        try {
            if (Files.exists(file)) s.offer(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            MagistrateLog.warn(CheckpointShipper.class, "cannot read " + file + "; the witness gets the next checkpoint", e);
        }
        log.onCheckpoint(s::offer);
        s.thread.start();
        return s;
    }

    static String readToken(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("magistrate.fleet.token.file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        if (token.isEmpty() || token.contains("\n")) {
            throw new IllegalArgumentException("magistrate.fleet.token.file: " + file + " must hold the agent's token on one line");
        }
        return token;
    }

    /** A new signed checkpoint: replaces any not yet shipped (the newer one covers it). */
    private void offer(String note) {
        synchronized (signal) {
            latest = note;
            signal.notifyAll();
        }
    }

    /** The size of the head the witness last confirmed to this shipper (-1: none yet). */
    public long witnessedSize() {
        return witnessedSize;
    }

    private void run() {
        long backoff = FIRST_BACKOFF_MS;
        while (!closed) {
            String note;
            try {
                synchronized (signal) {
                    while (!closed && (latest == null || latest.equals(shipped))) signal.wait();
                    note = latest;
                }
                if (closed) return;
                try {
                    ship(note);
                    shipped = note;
                    backoff = FIRST_BACKOFF_MS;
                    continue;
                } catch (Unreachable e) {
                    MagistrateLog.warn(CheckpointShipper.class, "the checkpoint witness did not take the checkpoint (" + e.getMessage()
                            + "); trying again in " + backoff + " ms, with the newest checkpoint then", null);
                } catch (Refused r) {
                    refused(r.entry);
                    return;
                } catch (RuntimeException e) {
                    MagistrateLog.error(CheckpointShipper.class, "the checkpoint could not be proven for the witness; trying again in "
                            + backoff + " ms", e);
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
            } catch (InterruptedException e) {
                return; // closing
            }
        }
    }

    private void refused(AuditPayload.WitnessRefused entry) {
        MagistrateLog.error(CheckpointShipper.class, "the checkpoint witness at " + entry.witness() + " REFUSED this log's checkpoint of "
                + entry.treeSize() + " entries (" + entry.refusal() + ", HTTP " + entry.status() + "): " + entry.reason()
                + "; checkpoints are no longer shipped until the engine restarts", null);
        try {
            log.append(AuditEvent.of(AuditPayload.LogRecovered.LOG_INTENT_ID, clock.instant(), entry));
        } catch (RuntimeException e) {
            MagistrateLog.error(CheckpointShipper.class, "the witness's refusal could not be written to the audit log", e);
        }
    }

    private void ship(String note) throws Unreachable, Refused {
        Checkpoint cp = Checkpoint.parseBody(note.substring(0, note.indexOf("\n\n") + 1));
        for (int attempt = 0; attempt < 3; attempt++) {
            if (head == null) head = headOf(send(HttpRequest.newBuilder().GET(), HEAD).body());
            ObjectNode body = JSON.createObjectNode();
            body.put("checkpoint", note);
            if (head.size() >= 0) {
                body.put("from_size", head.size());
                ArrayNode proof = body.putArray("proof");
                // A head larger than this checkpoint cannot be proven from: the witness refuses it as a rollback.
                if (head.size() <= cp.size()) for (byte[] h : proof(head.size(), cp.size())) proof.add(Base64.getEncoder().encodeToString(h));
            }
            Reply r = send(HttpRequest.newBuilder().POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .header("Content-Type", "application/json"), CHECKPOINTS);
            String refusal = r.body().path("refusal").asText("http_" + r.status());
            if (r.status() == 200 || r.status() == 409 && refusal.equals("stale_head")) {
                head = headOf(r.body().path("head"));
                witnessedSize = head.size();
                if (r.status() == 200) return;
                continue; // our head was not the witness's (a lost reply, a restart): prove from the one it holds
            }
            throw new Refused(new AuditPayload.WitnessRefused(r.url().toString(), r.status(), refusal, cp.size(),
                    r.body().path("head").path("tree_size").asLong(head.size()), r.body().path("error").asText("no reason given")));
        }
        throw new Unreachable("the witnessed head kept moving");
    }

    private static Head headOf(JsonNode h) {
        if (h == null || h.isMissingNode() || h.isNull() || !h.path("witnessed").asBoolean(false)) return Head.NONE;
        return new Head(h.path("tree_size").asLong(), h.path("checkpoint").asText());
    }

    /** The consistency proof from the first {@code m} entries to the first {@code n}, from the log on disk. */
    private List<byte[]> proof(long m, long n) {
        if (base.size() > m) { // the witness holds an older head than the one we compacted to: read again
            closeReader();
            base = new MerkleTree();
            after.clear();
        }
        readUpTo(n);
        int compact = (int) (m - base.size());
        for (int i = 0; i < compact; i++) base.append(after.get(i));
        after.subList(0, compact).clear();
        return MerkleProofs.consistencyProof(base, after.subList(0, (int) (n - m)), n);
    }

    private void readUpTo(long n) {
        if (reader == null) reader = AuditLogReader.open(log.directory());
        while (base.size() + after.size() < n) {
            LogRecord rec = reader.next();
            if (rec == null) throw new IllegalStateException("the log holds " + (base.size() + after.size()) + " entries on disk, its checkpoint " + n);
            if (rec instanceof LogRecord.Entry e) {
                if (base.size() + after.size() == 0 && CanonicalEntry.position(e.bytes()).index() != 0) {
                    throw new IllegalStateException("entries before " + CanonicalEntry.position(e.bytes()).index()
                            + " were pruned by retention; the witness needs proofs over the whole log");
                }
                after.add(MerkleTree.leafHash(e.bytes()));
            } else if (rec instanceof LogRecord.Unreadable u) {
                throw new IllegalStateException("an audit record is unreadable (" + u.reason() + "); run audit verify");
            }
        }
    }

    private record Reply(URI url, int status, JsonNode body) {
    }

    /** The first replica that answers below 500 (and not 429), in the configured order. */
    private Reply send(HttpRequest.Builder request, String path) throws Unreachable {
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            URI uri = URI.create(base.toString().replaceAll("/+$", "") + path);
            try {
                HttpResponse<String> r = http.send(request.copy().uri(uri).timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() >= 500 || r.statusCode() == 429) {
                    failures.add(base + ": HTTP " + r.statusCode());
                    continue;
                }
                JsonNode body;
                try {
                    body = JSON.readTree(r.body());
                } catch (IOException e) {
                    body = JSON.createObjectNode();
                }
                return new Reply(base, r.statusCode(), body == null ? JSON.createObjectNode() : body);
            } catch (IOException e) {
                failures.add(base + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unreachable("interrupted");
            }
        }
        throw new Unreachable(String.join("; ", failures));
    }

    private void closeReader() {
        if (reader != null) reader.close();
        reader = null;
    }

    /** Stops the thread (a checkpoint in flight is shipped by the next start: it ships the log's latest checkpoint first). */
    @Override
    public void close() {
        closed = true;
        log.onCheckpoint(null);
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) closeReader();
    }
}
