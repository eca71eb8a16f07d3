package dev.magistrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.audit.AuditLogVerifier;
import dev.magistrate.audit.Checkpoint;
import dev.magistrate.audit.CheckpointVerifier;
import dev.magistrate.audit.InvalidCheckpointException;
import dev.magistrate.audit.LogProofs;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.magistrate.cli.MagistrateCli.NO;
import static dev.magistrate.cli.MagistrateCli.OK;
import static dev.magistrate.cli.MagistrateCli.OUT;

/**
 * {@code audit verify DIR --witness URL}: after the log verified on its own, checks that it contains the head the fleet
 * service witnessed (GET /v1/checkpoints/head): the head must be signed by the log's key, no larger than the log's latest
 * checkpoint, and a consistency proof built from the log's entries must lead from the head's root to the latest root.
 */
final class WitnessCheck {

    private WitnessCheck() {
    }

    static int check(Path dir, CheckpointVerifier verifier, URI witness, Path tokenFile) {
        JsonNode head = fetchHead(witness, readToken(tokenFile));
        if (!head.path("witnessed").asBoolean(false)) {
            OUT.println("WITNESS: " + witness + " has witnessed no checkpoint of this agent yet; nothing to compare");
            return OK;
        }
        String headNote = head.path("checkpoint").asText();
        Checkpoint witnessed;
        try {
            witnessed = verifier.verify(headNote);
        } catch (InvalidCheckpointException e) {
            OUT.println("WITNESS FAILED: the head witnessed at " + witness + " is not signed by this log's key (" + verifier.keyName() + "): "
                    + e.getMessage());
            return NO;
        }
        String localNote = AuditCommand.readNote(AuditCommand.checkpointFile(null, dir));
        Checkpoint local;
        try {
            local = verifier.verify(localNote);
        } catch (InvalidCheckpointException e) {
            OUT.println("WITNESS FAILED: " + dir.resolve(AuditLogVerifier.CHECKPOINT_FILE) + " is not validly signed: " + e.getMessage());
            return NO;
        }
        if (!witnessed.origin().equals(local.origin())) {
            OUT.println("FORKED: the witness holds a head of log '" + witnessed.origin() + "', this log is '" + local.origin() + "'");
            return NO;
        }
        if (witnessed.size() > local.size()) {
            OUT.println("ROLLED BACK: the witness saw " + witnessed.size() + " entries, this log's latest checkpoint covers only " + local.size()
                    + " (truncated, rolled back or restored from an older copy)");
            return NO;
        }
        LogProofs.ConsistencyProof proof;
        try {
            proof = LogProofs.proveConsistency(dir, headNote, localNote);
        } catch (IllegalArgumentException | IllegalStateException e) {
            OUT.println("WITNESS FAILED: no consistency proof from the witnessed head can be built from this log: " + e.getMessage());
            return NO;
        }
        if (!LogProofs.verify(proof, verifier)) {
            OUT.println("FORKED: the log's first " + witnessed.size() + " entries are not the ones the witness saw: its history does not"
                    + " contain the witnessed head's root (" + witnessed + ")");
            return NO;
        }
        OUT.println("WITNESSED: the log contains the head witnessed at " + witness + " (" + witnessed.size() + " entries; consistency proof to "
                + local.size() + " entries checked)");
        return OK;
    }

    private static String readToken(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CliException("--token-file: cannot read " + file + ": " + e.getClass().getSimpleName());
        }
        if (token.isEmpty() || token.contains("\n")) throw new CliException("--token-file: " + file + " must hold the agent's token on one line");
        return token;
    }

    private static JsonNode fetchHead(URI witness, String token) {
        URI uri = URI.create(witness.toString().replaceAll("/+$", "") + "/v1/checkpoints/head");
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(HttpRequest.newBuilder(uri).GET()
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException("--witness " + witness + ": no answer (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("--witness " + witness + ": interrupted");
        }
        JsonNode body;
        try {
            body = new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new CliException("--witness " + uri + ": HTTP " + r.statusCode() + ", not JSON");
        }
        if (r.statusCode() != 200) {
            throw new CliException("--witness " + uri + ": HTTP " + r.statusCode() + ": " + body.path("error").asText(r.body()));
        }
        return body;
    }
}
