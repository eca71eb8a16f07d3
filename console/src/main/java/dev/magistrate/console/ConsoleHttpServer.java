package dev.magistrate.console;

import dev.magistrate.log.MagistrateLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The console's HTTP/1.1 server on loopback, built so that no client can starve it:
 * <ul>
 * <li>One selector thread reads every request, without blocking, until it is complete; only complete
 * requests reach the {@link #WORKERS} worker threads. A client that sends its headers a byte a second
 * costs a buffer, never a thread.</li>
 * <li>A request must be complete within {@link #REQUEST_DEADLINE_MS} of the connection opening, or the
 * connection is closed (408).</li>
 * <li>Request line and headers: at most {@link #MAX_HEADER_BYTES} bytes and {@link #MAX_HEADERS} headers
 * (431). Body: at most {@link #MAX_BODY_BYTES} (413), announced by Content-Length (411 without it;
 * chunked bodies are refused), refused before it is read.</li>
 * <li>At most {@link #MAX_CONNECTIONS} open connections; when full, the oldest unfinished one is closed to
 * make room, so a crowd of slow clients cannot lock a real one out.</li>
 * <li>Worker queue bounded at {@link #QUEUE}; beyond it, 503. Responses are written within
 * {@link #WRITE_DEADLINE_MS} or the connection is dropped.</li>
 * </ul>
 * One request per connection ({@code Connection: close}). A response may instead be a stream (server-sent events):
 * its head is written, then the connection is handed to {@link Response#stream()}, which owns it from then on; it has
 * left the request deadline behind, since the request was complete.
 * Every response carries the page security headers ({@link #SECURITY_HEADERS}) and {@code Cache-Control: no-store}. Why not {@code com.sun.net.httpserver}: it reads
 * each request's headers on an executor thread with no per-connection read timeout, so two slow clients
 * block a two-thread pool; its only limits are JVM-wide {@code sun.net.httpserver.*} system properties
 * read once per JVM, which would also change the governed application's own servers.
 * The fleet service (module {@code server}) serves its intent API with this same server, on an address and with as many
 * workers as it is told ({@link #ConsoleHttpServer(InetAddress, int, int, String, Function)}).
 */
public final class ConsoleHttpServer implements AutoCloseable {

    static final int MAX_HEADER_BYTES = 8 * 1024;
    static final int MAX_HEADERS = 64;
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final long REQUEST_DEADLINE_MS = 10_000;
    static final long WRITE_DEADLINE_MS = 5_000;
    static final int MAX_CONNECTIONS = 256;
    static final int WORKERS = 4;
    static final int QUEUE = 64;

    /** No framing by other sites, no referrer leaks, no content sniffing, and only the console's own scripts and styles. */
    static final String SECURITY_HEADERS = "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'\r\n"
            + "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n";

    /** {@code query}: the raw query string, or null; {@code remote}: the client's IP address. */
    public record Request(String method, String path, String query, Map<String, String> headers, byte[] body, String remote) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * {@code headers}: extra response headers (Location, Set-Cookie); {@code stream}: when not null, the body is only the
     * start of the response and this takes the open connection over (non-blocking) after it is written.
     */
    public record Response(int status, String contentType, byte[] body, Map<String, String> headers, Consumer<SocketChannel> stream) {
        public Response(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of(), null);
        }

        public Response with(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Response(status, contentType, body, more, stream);
        }
    }

    private static final class Conn {
        final SocketChannel ch;
        final long openedNanos = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocate(1024);
        int headerEnd = -1;
        int contentLength;
        Request head;
        /** Refused and answered: what the client still sends is read and discarded until it closes or the deadline. */
        boolean draining;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }
    }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final ThreadPoolExecutor workers;
    private final Function<Request, Response> handler;
    private final Map<SocketChannel, Conn> open = new LinkedHashMap<>(); // selector thread only; insertion order = age
    private final Thread loop;
    private volatile boolean running = true;

    ConsoleHttpServer(int port, Function<Request, Response> handler) {
        this(InetAddress.getLoopbackAddress(), port, WORKERS, "magistrate-approval-console", handler);
    }

    /** {@code workers}: threads that run the handler (a long poll holds one); {@code threadName}: names them and the I/O thread. */
    public ConsoleHttpServer(InetAddress bind, int port, int workers, String threadName, Function<Request, Response> handler) {
        this.handler = handler;
        try {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(bind, port), 64);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            throw new UncheckedIOException(threadName + ": cannot listen on " + bind.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
        }
        this.workers = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        loop = new Thread(this::run, threadName + "-io");
        loop.setDaemon(true); // never keeps the application's JVM alive
        loop.start();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            loop.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }

    private void run() {
        try {
            while (running) {
                selector.select(250);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) continue;
                    if (k.isAcceptable()) accept();
                    else if (k.isReadable()) read(k);
                }
                expire();
            }
        } catch (IOException | RuntimeException e) {
            if (running) MagistrateLog.error(ConsoleHttpServer.class, "approval console stopped", e);
        } finally {
            for (Conn c : open.values()) closeQuietly(c.ch);
            open.clear();
            try {
                selector.close();
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            if (open.size() >= MAX_CONNECTIONS) {
                // the oldest unfinished connection makes room: a crowd of slow clients cannot keep a fresh one out
                Iterator<Conn> oldest = open.values().iterator();
                Conn victim = oldest.next();
                oldest.remove();
                closeQuietly(victim.ch);
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.register(selector, SelectionKey.OP_READ);
            open.put(ch, new Conn(ch));
        }
    }

    private void expire() {
        long now = System.nanoTime();
        Iterator<Conn> it = open.values().iterator();
        while (it.hasNext()) {
            Conn c = it.next();
            if (now - c.openedNanos < TimeUnit.MILLISECONDS.toNanos(REQUEST_DEADLINE_MS)) break; // the rest are younger
            it.remove();
            SelectionKey k = c.ch.keyFor(selector);
            if (k != null) k.cancel();
            if (c.draining) closeQuietly(c.ch);
            else respondAndClose(c.ch, error(408, "the request was not complete within " + REQUEST_DEADLINE_MS / 1000 + " seconds"));
        }
    }

    private void read(SelectionKey k) {
        SocketChannel ch = (SocketChannel) k.channel();
        Conn c = open.get(ch);
        if (c == null) {
            k.cancel();
            closeQuietly(ch);
            return;
        }
        try {
            if (c.draining) {
                c.buf.clear();
                if (ch.read(c.buf) < 0) drop(k, c);
                return;
            }
            if (!c.buf.hasRemaining()) grow(c);
            int n = ch.read(c.buf);
            if (n < 0) {
                drop(k, c);
                return;
            }
            Response refused = progress(c);
            if (refused != null) {
                refuse(c, refused);
            } else if (c.head != null && c.buf.position() - c.headerEnd >= c.contentLength) {
                finish(k, c);
                byte[] body = new byte[c.contentLength];
                System.arraycopy(c.buf.array(), c.headerEnd, body, 0, c.contentLength);
                Request r = new Request(c.head.method(), c.head.path(), c.head.query(), c.head.headers(), body, c.head.remote());
                try {
                    workers.execute(() -> respondAndClose(ch, handle(r)));
                } catch (RejectedExecutionException busy) {
                    respondAndClose(ch, error(503, "the console is busy; try again"));
                }
            }
        } catch (IOException e) {
            drop(k, c);
        }
    }

    private void grow(Conn c) {
        int limit = c.head == null ? MAX_HEADER_BYTES + 4 : c.headerEnd + c.contentLength;
        ByteBuffer bigger = ByteBuffer.allocate(Math.min(Math.max(c.buf.capacity() * 2, 1024), Math.max(limit, c.buf.capacity() + 1)));
        c.buf.flip();
        bigger.put(c.buf);
        c.buf = bigger;
    }

    /** Parses what has arrived; returns a refusal, or null to keep reading (or when the request is complete). */
    private Response progress(Conn c) {
        if (c.head != null) return null;
        byte[] a = c.buf.array();
        int end = -1;
        for (int i = 3; i < c.buf.position(); i++) {
            if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            if (c.buf.position() > MAX_HEADER_BYTES) return error(431, "request line and headers are limited to " + MAX_HEADER_BYTES + " bytes");
            return null;
        }
        if (end > MAX_HEADER_BYTES) return error(431, "request line and headers are limited to " + MAX_HEADER_BYTES + " bytes");
        String[] lines = new String(a, 0, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] start = lines[0].split(" ");
        if (start.length != 3 || !start[2].startsWith("HTTP/1.")) return error(400, "malformed request line");
        if (lines.length - 1 > MAX_HEADERS) return error(431, "at most " + MAX_HEADERS + " headers");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) return error(400, "malformed header line " + i);
            headers.putIfAbsent(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        if (headers.containsKey("transfer-encoding")) return error(411, "chunked bodies are not accepted; send Content-Length");
        int length = 0;
        String cl = headers.get("content-length");
        if (cl != null) {
            long parsed;
            try {
                parsed = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                return error(400, "Content-Length is not a number");
            }
            if (parsed < 0) return error(400, "Content-Length is negative");
            if (parsed > MAX_BODY_BYTES) return error(413, "a request body is at most " + MAX_BODY_BYTES + " bytes; this one announced " + parsed);
            length = (int) parsed;
        } else if (start[0].equals("POST") || start[0].equals("PUT")) {
            return error(411, "a " + start[0] + " needs Content-Length");
        }
        String target = start[1];
        int q = target.indexOf('?');
        c.head = new Request(start[0], q < 0 ? target : target.substring(0, q), q < 0 ? null : target.substring(q + 1), headers, null, remote(c.ch));
        c.headerEnd = end;
        c.contentLength = length;
        if (c.buf.capacity() < end + length) {
            ByteBuffer bigger = ByteBuffer.allocate(end + length);
            c.buf.flip();
            bigger.put(c.buf);
            c.buf = bigger;
        }
        return null;
    }

    /**
     * Answers a refused request at once, then reads and discards whatever the client still sends (until it closes,
     * or the request deadline): closing with unread input would reset the connection and could lose the answer.
     */
    private void refuse(Conn c, Response r) throws IOException {
        write(c.ch, r);
        c.ch.shutdownOutput();
        c.draining = true;
        c.buf = ByteBuffer.allocate(4096);
    }

    private Response handle(Request r) {
        try {
            return handler.apply(r);
        } catch (RuntimeException e) {
            MagistrateLog.warn(ConsoleHttpServer.class, "approval console request failed", e);
            return error(500, "internal error; see the agent's log");
        }
    }

    private void finish(SelectionKey k, Conn c) {
        k.cancel();
        open.remove(c.ch);
    }

    private void drop(SelectionKey k, Conn c) {
        finish(k, c);
        closeQuietly(c.ch);
    }

    public static Response error(int status, String message) {
        String json = "{\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        return new Response(status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String remote(SocketChannel ch) {
        try {
            return ch.getRemoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
        } catch (IOException gone) {
            return "unknown";
        }
    }

    /** Writes the response (non-blocking, within {@link #WRITE_DEADLINE_MS}) and closes the connection, or hands a stream over. */
    private static void respondAndClose(SocketChannel ch, Response r) {
        if (r.stream() != null) {
            try {
                write(ch, r);
            } catch (IOException | RuntimeException gone) {
                closeQuietly(ch);
            } finally {
                r.stream().accept(ch); // handed over even when closed, so its owner can count it
            }
            return;
        }
        try (ch) {
            write(ch, r);
            ch.shutdownOutput();
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private static void write(SocketChannel ch, Response r) throws IOException {
        try {
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status()))
                    .append("\r\nContent-Type: ").append(r.contentType()).append("\r\n");
            if (r.stream() == null) head.append("Content-Length: ").append(r.body().length).append("\r\n");
            for (Map.Entry<String, String> h : r.headers().entrySet()) {
                if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) throw new IllegalArgumentException("header value with a line break");
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            head.append("Cache-Control: no-store\r\n").append(SECURITY_HEADERS).append("Connection: close\r\n\r\n");
            List<ByteBuffer> out = new ArrayList<>(List.of(ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(r.body())));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITE_DEADLINE_MS);
            for (ByteBuffer b : out) {
                while (b.hasRemaining()) {
                    if (ch.write(b) == 0) {
                        if (System.nanoTime() > deadline) throw new IOException("the client did not read the response in time");
                        Thread.sleep(2);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 303 -> "See Other";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 421 -> "Misdirected Request";
            case 413 -> "Content Too Large";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }
}
