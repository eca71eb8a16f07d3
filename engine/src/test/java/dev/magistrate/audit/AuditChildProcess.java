package dev.magistrate.audit;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The main class of the child JVMs that the audit tests start (never a mock: the real log in a real
 * process). Modes:
 * <ul>
 * <li>{@code append DIR}: opens the log, prints {@code READY}, then appends forever, printing
 * {@code <index>;} after each append returns (the parent kills it).</li>
 * <li>{@code hold DIR}: opens the log, prints {@code READY}, closes it when stdin closes.</li>
 * <li>{@code open DIR}: tries to open the log; prints {@code OPENED} or {@code REFUSED <message>}.</li>
 * <li>{@code low-space DIR}: routes the engine's log lines to stdout, appends 3 entries, waits 0.8 s and closes.</li>
 * <li>{@code network DIR} / {@code network-control DIR}: installs the outbound-connection detector,
 * then uses the audit log (or deliberately connects out), and prints {@code ATTEMPTS n} and each attempt.</li>
 * </ul>
 */
public final class AuditChildProcess {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        PrintStream out = System.out;
        switch (mode) {
            case "append" -> {
                try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir).withCheckpointEvery(50, 20))) {
                    out.println("READY");
                    out.flush();
                    for (long n = log.size(); ; n++) {
                        long index = log.append(AuditTestSupport.event(n));
                        out.print(index + ";\n");
                        out.flush();
                    }
                }
            }
            case "hold" -> {
                try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir))) {
                    log.append(AuditTestSupport.event(log.size()));
                    out.println("READY");
                    out.flush();
                    while (System.in.read() >= 0) {
                        // wait until the parent closes our stdin
                    }
                }
            }
            case "die-mid-write" -> {
                // Exactly what a SIGKILL inside ChronicleAuditLog.append leaves: a document begun, never completed.
                try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir))) {
                    AuditTestSupport.appendEvents(log, log.size(), 5);
                }
                var queue = ChronicleQueues.open(dir, false, java.time.Clock.systemUTC(), null);
                var dc = queue.createAppender().writingDocument();
                byte[] half = LogRecord.encodeEntry(CanonicalEntry.encode(5, new byte[32], AuditTestSupport.event(5)));
                dc.wire().bytes().write(half, 0, half.length / 2);
                out.println("HALTING");
                out.flush();
                Runtime.getRuntime().halt(9);
            }
            case "low-space" -> {
                // Run with -Dmagistrate.audit.lowSpaceWarningBytes above the free space: the warning comes from the
                // checkpoint timer's thread, which looks while nothing is appended.
                dev.magistrate.log.MagistrateLog.routeTo((source, level, message, error) -> {
                    out.println(level + " [" + Thread.currentThread().getName() + "] " + message);
                    out.flush();
                });
                // The timer first looks 300 ms after the open, well after the appends: those must not look themselves.
                try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir).withCheckpointEvery(1000, 300))) {
                    AuditTestSupport.appendEvents(log, 0, 3);
                    out.println("APPENDED");
                    out.flush();
                    Thread.sleep(800);
                }
                out.println("CLOSED");
            }
            case "open" -> {
                try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir))) {
                    out.println("OPENED " + log.size());
                } catch (IllegalStateException e) {
                    out.println("REFUSED " + e.getMessage());
                }
            }
            case "network", "network-control" -> {
                OutboundDetector detector = OutboundDetector.install();
                if (mode.equals("network-control")) {
                    deliberatelyConnectOut();
                } else {
                    useTheAuditLog(dir);
                }
                out.println("ATTEMPTS " + detector.attempts.size());
                for (String a : detector.attempts) out.println("ATTEMPT " + a);
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    private static void useTheAuditLog(Path dir) throws Exception {
        try (ChronicleAuditLog log = ChronicleAuditLog.open(AuditTestSupport.options(dir).withCheckpointEvery(10, 10))) {
            AuditTestSupport.appendEvents(log, 0, 50);
            Thread.sleep(300); // let timed checkpoints and any background thread of Chronicle run
        }
        VerificationResult r = AuditTestSupport.verifier().verify(dir);
        if (r.status() != VerificationResult.Status.OK) throw new IllegalStateException(r.summary());
        JsonLinesExporter.export(dir, 0, new java.io.ByteArrayOutputStream());
        AuditReport.of(dir);
        LogProofs.verify(LogProofs.proveInclusion(dir, 7), AuditTestSupport.signer().verifier());
        Thread.sleep(300);
    }

    /** What Chronicle's analytics would do (an HTTPS POST), and a plain socket: the detector must see both. */
    private static void deliberatelyConnectOut() {
        try {
            var c = new URL("https://www.google-analytics.com/mp/collect").openConnection();
            c.setConnectTimeout(2000);
            c.connect();
        } catch (IOException expected) {
            // refused by the detector's loopback sink
        }
        try (Socket s = new Socket()) {
            s.connect(InetSocketAddress.createUnresolved("example.com", 443), 2000);
        } catch (IOException expected) {
            // refused by the detector's loopback sink
        }
    }

    /**
     * Records every attempt to reach a non-loopback host through java.net (sockets, URL connections,
     * the HTTP client all ask the default ProxySelector first), and sends it to a closed loopback port
     * so that nothing leaves the machine. The parent also points name lookups at a hosts file that
     * knows only localhost, so no DNS query leaves either.
     */
    static final class OutboundDetector extends ProxySelector {
        final List<String> attempts = new CopyOnWriteArrayList<>();

        static OutboundDetector install() {
            OutboundDetector d = new OutboundDetector();
            ProxySelector.setDefault(d);
            return d;
        }

        @Override
        public List<Proxy> select(URI uri) {
            String host = uri.getHost();
            if (host != null && !isLoopback(host)) {
                attempts.add(uri.toString());
                Proxy.Type type = "socket".equals(uri.getScheme()) ? Proxy.Type.SOCKS : Proxy.Type.HTTP;
                return List.of(new Proxy(type, new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)));
            }
            return List.of(Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
            // expected: the sink port is closed
        }

        private static boolean isLoopback(String host) {
            return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
        }
    }
}
