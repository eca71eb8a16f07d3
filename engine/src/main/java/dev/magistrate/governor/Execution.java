package dev.magistrate.governor;

import dev.magistrate.audit.AuditPayload;
import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.warrant.Warrant;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A verified call that is running; closing it with its outcome closes the intent in the audit trail. Exactly once. */
public final class Execution {

    private static final int SUMMARY_CHARS = 200;

    private final Governor governor;
    private final String intentId;
    private final Warrant warrant;
    private final Map<String, Object> requestedArgs;
    private final Map<String, Object> args;
    private final String changedBy;
    private final long startedNanos;
    private final AtomicBoolean closed = new AtomicBoolean();

    Execution(Governor governor, String intentId, Warrant warrant, Map<String, Object> requestedArgs, Map<String, Object> args, String changedBy,
              long startedNanos) {
        this.governor = governor;
        this.intentId = intentId;
        this.warrant = warrant;
        this.requestedArgs = requestedArgs;
        this.args = args;
        this.changedBy = changedBy;
        this.startedNanos = startedNanos;
    }

    /** The intent this call belongs to. */
    public String intentId() {
        return intentId;
    }

    /** The warrant the call was verified against; null for a T0 call granted in this process (its CALL_GRANTED entry authorised it). */
    public Warrant warrant() {
        return warrant;
    }

    /** The arguments the call runs with: those the warrant binds, which an approver may have changed. */
    public Map<String, Object> args() {
        return args;
    }

    /** The arguments as the agent asked for them. */
    public Map<String, Object> requestedArgs() {
        return requestedArgs;
    }

    /** The approver whose changes the call runs with, or null when it runs as requested. */
    public String changedBy() {
        return changedBy;
    }

    /** What an approver changed, by argument name ({@code instances: 200 -> 25}); empty when nothing was. */
    public Map<String, Authorization.Change> changes() {
        return Authorization.changes(requestedArgs, args);
    }

    /** Records success: a short summary of the result and the SHA-256 of its canonical JSON (of its text when it has none). */
    public void completed(Object result) {
        close();
        String text = String.valueOf(result);
        String summary = text.length() > SUMMARY_CHARS ? text.substring(0, SUMMARY_CHARS) + "..." : text;
        byte[] bytes;
        try {
            bytes = CanonicalJson.encodeUtf8(result);
        } catch (IllegalArgumentException e) {
            bytes = text.getBytes(StandardCharsets.UTF_8);
        }
        String digest = CanonicalJson.sha256Hex(bytes);
        governor.record(intentId, new AuditPayload.ExecutionCompleted(summary, digest, elapsedMs()));
        governor.ended(warrant, true, digest);
    }

    /** Records that the call threw. */
    public void failed(Throwable error) {
        close();
        governor.record(intentId, new AuditPayload.ExecutionFailed(error.getClass().getName(), error.getMessage(), elapsedMs()));
        governor.ended(warrant, false, null);
    }

    private void close() {
        if (!closed.compareAndSet(false, true)) throw new IllegalStateException("execution of intent " + intentId + " already confirmed");
    }

    private long elapsedMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }
}
