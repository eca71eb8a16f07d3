package dev.magistrate.console;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server-sent event streams of open console pages ({@code GET /events}): when a request arrives or ends, each page is
 * told, and fetches its list again. Bounded and never blocking the engine:
 * <ul>
 * <li>at most {@link #MAX_CLIENTS} streams; the page that finds no room gets 503 and retries (EventSource does);</li>
 * <li>one thread writes, without blocking: a client that has not read what it was sent (its socket buffer is full) is
 * dropped rather than waited for;</li>
 * <li>a comment every {@link #HEARTBEAT_SECONDS} s finds dead connections (a page left behind frees its place within two
 * beats, since the first write after the peer closed still succeeds); each stream ends after {@link #MAX_STREAM_MINUTES}
 * minutes, and the browser's reconnection passes the session check again (an expired session gets no new stream).</li>
 * </ul>
 */
final class LiveEvents implements AutoCloseable {

    static final int MAX_CLIENTS = 32;
    static final long HEARTBEAT_SECONDS = 5;
    static final long MAX_STREAM_MINUTES = 10;

    private final Map<SocketChannel, Long> streams = new LinkedHashMap<>(); // channel -> when it opened (nanos); guarded by this
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "magistrate-approval-console-events");
        t.setDaemon(true);
        return t;
    });

    LiveEvents() {
        writer.scheduleWithFixedDelay(() -> send(": still here\n\n", true), HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    private int reserved; // streams promised by reserve() and not yet adopted; guarded by this

    /** Holds a place for one more stream, or returns false when all {@link #MAX_CLIENTS} are taken. */
    synchronized boolean reserve() {
        if (streams.size() + reserved >= MAX_CLIENTS) return false;
        reserved++;
        return true;
    }

    synchronized int clients() {
        return streams.size();
    }

    /** Takes over the connection a {@link #reserve} was for, once its response head is written (or failed to be). */
    synchronized void adopt(SocketChannel ch) {
        reserved--;
        if (ch.isOpen()) streams.put(ch, System.nanoTime());
    }

    /** Tells every page that something changed (an intent id, never a secret). Returns at once. */
    void changed(String intentId) {
        String clean = intentId.replaceAll("[\\r\\n]", "");
        writer.execute(() -> send("event: changed\ndata: " + clean + "\n\n", false));
    }

    private void send(String event, boolean heartbeat) {
        byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
        List<SocketChannel> targets;
        synchronized (this) {
            targets = new ArrayList<>(streams.keySet());
        }
        long now = System.nanoTime();
        for (SocketChannel ch : targets) {
            Long opened;
            synchronized (this) {
                opened = streams.get(ch);
            }
            if (opened == null) continue;
            boolean old = heartbeat && now - opened > TimeUnit.MINUTES.toNanos(MAX_STREAM_MINUTES);
            if (old || !writeAll(ch, bytes)) drop(ch);
        }
    }

    /** One non-blocking write; false when the client is gone or has not kept up. */
    private static boolean writeAll(SocketChannel ch, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            ch.write(b);
            return !b.hasRemaining();
        } catch (IOException gone) {
            return false;
        }
    }

    private void drop(SocketChannel ch) {
        synchronized (this) {
            streams.remove(ch);
        }
        close(ch);
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // gone already
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
        List<SocketChannel> all;
        synchronized (this) {
            all = new ArrayList<>(streams.keySet());
            streams.clear();
        }
        all.forEach(LiveEvents::close);
    }
}
