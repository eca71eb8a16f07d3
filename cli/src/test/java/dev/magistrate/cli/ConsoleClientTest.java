package dev.magistrate.cli;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which console URLs are taken, and which of them would carry a token in clear text off this machine. */
class ConsoleClientTest {

    static boolean clearTextToRemoteHost(String url) {
        return new ConsoleClient(ConsoleClient.parseUrl(url, "--url")).clearTextToRemoteHost();
    }

    @Test
    void plainHttpIsLocalOnlyOnLoopbackAddresses() {
        for (String local : new String[]{"http://127.0.0.1:8080", "http://localhost:1", "http://127.8.9.10", "http://[::1]:9000/", "https://approvals.example.com"}) {
            assertFalse(clearTextToRemoteHost(local), local);
        }
        for (String remote : new String[]{"http://10.0.0.5:8080", "http://approvals.example.com", "http://localhost.example.com", "http://[2001:db8::1]",
                "http://127.0.0.1.nip.io"}) {
            assertTrue(clearTextToRemoteHost(remote), remote);
        }
    }

    @Test
    void onlyHttpAndHttpsUrlsWithAHostAreTaken() {
        assertEquals(URI.create("http://127.0.0.1:8080"), ConsoleClient.parseUrl("http://127.0.0.1:8080/", "--url"));
        for (String bad : new String[]{"file:///etc/passwd", "ftp://h/", "127.0.0.1:8080", "http:///api", "http://exa mple"}) {
            CliException e = assertThrows(CliException.class, () -> ConsoleClient.parseUrl(bad, "--url"), bad);
            assertEquals(MagistrateCli.USAGE, e.exitCode);
            assertTrue(e.getMessage().startsWith("--url: "), e.getMessage());
        }
    }
}
