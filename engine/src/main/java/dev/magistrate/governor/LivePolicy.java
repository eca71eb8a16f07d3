package dev.magistrate.governor;

import dev.magistrate.audit.AuditPayload;
import dev.magistrate.log.MagistrateLog;
import dev.magistrate.policy.CompiledPolicy;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyException;
import dev.magistrate.fleet.FleetSettings;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;
import dev.magistrate.policy.Window;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The live policy: the one place that puts a new version of the policy files in force while the engine runs. A reload
 * loads, checks and compiles on its own thread, never on a deciding thread; a version that loads is audited
 * ({@code POLICY_LOADED}, before it takes effect) and then swapped in with one reference write
 * ({@link Governor#replacePolicy}), so a decision under way finishes on the version it read and the next one reads the
 * new version. A version that does not load changes nothing: it is audited ({@code POLICY_REJECTED}, with every
 * {@code file:line:col} error) and the last good version keeps deciding. A change that cannot be audited is not put in
 * force either.
 *
 * <p>Reloads come from people (the console and the CLI, for an approver with the role {@link #ADMIN_ROLE}), from code
 * ({@link #reload}) and, when watching is on, from the files themselves: a {@link WatchService} on the policy's directory,
 * debounced by {@link #DEBOUNCE} so an editor's several writes (or its write-to-temporary-then-rename) make one reload.
 * Reloads run one at a time, in the order asked.
 */
public final class LivePolicy implements AutoCloseable {

    /** The approver role that may reload the policy through the console or the CLI. */
    public static final String ADMIN_ROLE = "policy_admin";
    /** The trigger recorded for reloads the file watcher starts. */
    public static final String FILE_WATCHER = "file watcher";
    /** Quiet time after the last change of a policy file before the watcher reloads. */
    public static final Duration DEBOUNCE = Duration.ofMillis(250);

    /**
     * What a reload did. {@code loaded}: the files loaded and {@code version} is in force now (equal to
     * {@code previousVersion} when nothing had changed); otherwise {@code error} says why, one {@code file:line:col: message}
     * a line, and {@code previousVersion} keeps deciding.
     */
    public record Outcome(boolean loaded, String previousVersion, String version, int rules, String error) {
        /** The version deciding after this reload. */
        public String versionInForce() {
            return loaded ? version : previousVersion;
        }
    }

    private final Governor governor;
    private final Path source;
    private final ExecutorService loader;
    private final WatchService watch;
    private final Thread watcher;
    private volatile boolean closed;
    /** The shadow is the files' own shadow rules (no separate shadow policy): a reload replaces it with the new files'. */
    private final boolean shadowFromRules;
    /** Whether the engine sends calls to the fleet service; if not, a version reading a fleet-wide window is refused, as at open. */
    private final boolean fleet;

    private LivePolicy(Governor governor, Path source, boolean watchFiles, boolean shadowFromRules, boolean fleet) {
        this.shadowFromRules = shadowFromRules;
        this.fleet = fleet;
        this.governor = Objects.requireNonNull(governor, "governor");
        this.source = Objects.requireNonNull(source, "source").toAbsolutePath().normalize();
        this.loader = Executors.newSingleThreadExecutor(r -> daemon(r, "magistrate-policy-reload"));
        if (!watchFiles) {
            this.watch = null;
            this.watcher = null;
            return;
        }
        Path dir = Files.isDirectory(this.source) ? this.source : this.source.getParent();
        try {
            this.watch = FileSystems.getDefault().newWatchService();
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            loader.shutdownNow();
            throw new IllegalStateException("cannot watch the policy directory " + dir + ": " + e.getMessage(), e);
        }
        this.watcher = daemon(this::watchLoop, "magistrate-policy-watcher");
        watcher.start();
    }

    /**
     * Takes over the governor's policy, which was loaded from {@code source} (a file or a directory of them).
     * {@code watchFiles}: reload by itself when the files change. {@code shadowFromRules}: the governor's shadow comes from
     * the files' shadow rules (no separate shadow policy), so a reload brings the new files' shadow rules too.
     */
    public static LivePolicy start(Governor governor, Path source, boolean watchFiles, boolean shadowFromRules) {
        return start(governor, source, watchFiles, shadowFromRules, false);
    }

    /** As above; {@code fleet}: the fleet service decides this engine's calls, so a version reading fleet-wide windows may be put in force. */
    public static LivePolicy start(Governor governor, Path source, boolean watchFiles, boolean shadowFromRules, boolean fleet) {
        return new LivePolicy(governor, source, watchFiles, shadowFromRules, fleet);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The policy file or directory reloads read. */
    public Path source() {
        return source;
    }

    public boolean watching() {
        return watcher != null;
    }

    /**
     * Loads the files again and puts them in force if they load; waits for the result. {@code trigger} is who or what
     * asked ({@code console: riya}), recorded in the audit entry. A change that does not load is refused, audited, and
     * the version in force keeps deciding: the outcome says which and why.
     *
     * @throws IllegalStateException the engine is closing
     */
    public Outcome reload(String trigger) {
        Objects.requireNonNull(trigger, "trigger");
        Future<Outcome> f;
        try {
            f = loader.submit(() -> load(trigger, false));
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the engine is closing; the policy was not reloaded");
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the policy reloaded; see the audit trail for its outcome");
        } catch (ExecutionException | CancellationException e) {
            throw new IllegalStateException("the policy reload failed: " + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    /** Runs on the loader thread only. {@code quietWhenUnchanged}: files that did not change are not a reload worth a record. */
    private Outcome load(String trigger, boolean quietWhenUnchanged) {
        String before = version(governor.policy());
        PolicySet set;
        CompiledPolicy next;
        Governor.Shadow shadow = null;
        try {
            set = PolicyLoader.load(source);
            if (!fleet) Window.refuseScope(set, Window.Scope.FLEET, FleetSettings.WINDOWS_NEED_A_FLEET);
            next = PolicyCompiler.compile(set);
            if (shadowFromRules && set.shadowPolicy() != null) {
                shadow = new Governor.Shadow(PolicyCompiler.compile(set.shadowPolicy()), Governor.Shadow.RULES);
            }
        } catch (PolicyException e) {
            return rejected(trigger, before, e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return rejected(trigger, before, source + ":1:1: cannot load: " + e);
        }
        String after = next.version();
        if (quietWhenUnchanged && after.equals(before)) return new Outcome(true, before, after, set.rules().size(), null);
        try {
            // Write ahead: the record of the change is durable before the change takes effect.
            governor.record(AuditPayload.PolicyLoaded.POLICY_INTENT_ID, new AuditPayload.PolicyLoaded(trigger, before, after,
                    source.toString(), set.rules().size()));
        } catch (RuntimeException e) {
            String why = "the change could not be recorded in the audit trail, so it was not put in force: " + e;
            MagistrateLog.error(LivePolicy.class, "policy reload (" + trigger + ") refused: " + why, e);
            return new Outcome(false, before, after, set.rules().size(), why);
        }
        governor.replacePolicy(next);
        if (shadowFromRules) governor.replaceShadow(shadow);
        MagistrateLog.info(LivePolicy.class, "policy " + source + " reloaded (" + trigger + "): " + shortHash(before) + " -> "
                + shortHash(after) + ", " + set.rules().size() + " rules");
        return new Outcome(true, before, after, set.rules().size(), null);
    }

    private Outcome rejected(String trigger, String kept, String error) {
        MagistrateLog.warn(LivePolicy.class, "policy " + source + " not reloaded (" + trigger + "); policy " + shortHash(kept)
                + " keeps deciding:\n" + error, null);
        try {
            governor.record(AuditPayload.PolicyLoaded.POLICY_INTENT_ID, new AuditPayload.PolicyRejected(trigger, error, kept, source.toString()));
        } catch (RuntimeException e) {
            MagistrateLog.error(LivePolicy.class, "could not audit a refused policy reload", e);
        }
        return new Outcome(false, kept, null, 0, error);
    }

    private static String version(CompiledPolicy p) {
        try {
            return p.version();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static String shortHash(String v) {
        return v != null && v.length() > 12 ? v.substring(0, 12) : String.valueOf(v);
    }

    private void watchLoop() {
        try {
            while (!closed) {
                WatchKey key = watch.take();
                boolean changed = policyFileEvents(key);
                // Debounce: an editor's several writes, or a temporary file renamed over the policy, make one reload.
                WatchKey more;
                while ((more = watch.poll(DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS)) != null) changed |= policyFileEvents(more);
                if (!changed || closed) continue;
                try {
                    loader.submit(() -> load(FILE_WATCHER, true)).get();
                } catch (RejectedExecutionException | ExecutionException e) {
                    if (!closed) MagistrateLog.error(LivePolicy.class, "policy reload after a file change failed", e);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException stopping) {
            // closed
        }
    }

    /** Whether the key's events touch a policy file (the source file, or a .yaml/.yml file of the source directory). */
    private boolean policyFileEvents(WatchKey key) {
        boolean touched = false;
        for (WatchEvent<?> e : key.pollEvents()) {
            if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                touched = true;
            } else if (e.context() instanceof Path name) {
                String n = name.toString();
                touched |= Files.isDirectory(source) ? n.endsWith(".yaml") || n.endsWith(".yml") : name.equals(source.getFileName());
            }
        }
        if (!key.reset() && !closed) {
            MagistrateLog.warn(LivePolicy.class, "the policy directory of " + source + " can no longer be watched (removed?); "
                    + "reload through the console or the CLI", null);
        }
        return touched;
    }

    /** Stops watching; a reload under way finishes first. */
    @Override
    public void close() {
        closed = true;
        if (watch != null) {
            try {
                watch.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        loader.shutdown();
        try {
            if (!loader.awaitTermination(5, TimeUnit.SECONDS)) loader.shutdownNow();
        } catch (InterruptedException e) {
            loader.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
