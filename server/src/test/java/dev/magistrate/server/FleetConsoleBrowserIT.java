package dev.magistrate.server;

import dev.magistrate.server.FleetFixture.Reply;
import dev.magistrate.warrant.Warrant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A person approves a fleet request in a real browser: headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, installed with apt when missing, as the agent's ConsoleBrowserIT does) driven by Selenium
 * through the console of replica A, while an agent submitted its intent through the API of replica B and waits there in a
 * long poll. Signs in with a personal token, watches the request appear on the open pending list (the page polls),
 * approves it with a comment, and the agent's long poll returns allow with a warrant naming the approver.
 */
class FleetConsoleBrowserIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    static Path work;
    static WebDriver browser;
    static WebDriverWait waitUpTo;

    @BeforeAll
    static void startChromium() throws Exception {
        requireChromium();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--user-data-dir=" + Files.createDirectories(work.resolve("chromium-profile")),
                "--window-size=1280,1000");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString()); // the system driver: Selenium Manager fetches nothing
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        waitUpTo = new WebDriverWait(browser, Duration.ofSeconds(30)) {
            @Override
            protected RuntimeException timeoutException(String message, Throwable lastException) {
                return new TimeoutException(message + "\nat " + browser.getCurrentUrl() + ":\n" + browser.getPageSource(), lastException);
            }
        };
        waitUpTo.ignoring(StaleElementReferenceException.class); // the polled list replaces its cards while the test reads them
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) browser.quit();
    }

    /** .ci/run prints this file's reason after the build when the browser test was skipped. */
    static final Path SKIPPED = Path.of("target", "FleetConsoleBrowserIT-SKIPPED.txt");

    /** Installs Debian's Chromium and its driver where they are missing; skips, loudly, only where that fails. */
    static void requireChromium() throws Exception {
        Files.deleteIfExists(SKIPPED);
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) return;
        String why = "not installed";
        if ("root".equals(System.getProperty("user.name"))) {
            for (List<String> cmd : List.of(List.of("apt-get", "install", "-y", "chromium", "chromium-driver"), List.of("apt-get", "update"),
                    List.of("apt-get", "install", "-y", "chromium", "chromium-driver"))) {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("apt.log").toFile()).start();
                if (!p.waitFor(15, TimeUnit.MINUTES)) p.destroyForcibly();
                if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) return;
            }
            why = "apt-get install -y chromium chromium-driver failed: " + Files.readString(work.resolve("apt.log")).lines()
                    .reduce((a, b) -> b).orElse("");
        } else {
            why = "not installed, and this user cannot install them (run as root, or apt-get install chromium chromium-driver)";
        }
        String banner = "\n" + "!".repeat(100) + "\nSKIPPED FleetConsoleBrowserIT: Chromium and chromedriver are " + why
                + "\nThe fleet console was NOT tested in a browser.\n" + "!".repeat(100);
        System.err.println(banner);
        Files.createDirectories(SKIPPED.getParent());
        Files.writeString(SKIPPED, "Chromium and chromedriver are " + why + "\n");
        Assumptions.abort(banner);
    }

    @Test
    void aPersonSignsInSeesTheAgentsRequestArriveApprovesItAndTheAgentsLongPollReturnsAllow() throws Exception {
        try (FleetFixture fleet = new FleetFixture(Files.createDirectories(work.resolve("fleet")))) {
            FleetServer a = fleet.replica("replica-a");
            FleetServer b = fleet.replica("replica-b");
            String agent = b.service().enrollAgent("ops-agent");
            String console = "http://127.0.0.1:" + a.port();

            browser.get(console + "/");
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("approver")));
            browser.findElement(By.id("approver")).sendKeys("alice");
            browser.findElement(By.id("secret")).sendKeys(fleet.approverTokens.get("alice"));
            browser.findElement(By.id("signin")).click();
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("pending-list")));
            assertTrue(browser.findElement(By.id("pending-list")).getText().contains("Nothing waits"));
            ((JavascriptExecutor) browser).executeScript("window.sameDocument = 'yes'");

            // The agent submits through replica B while the page is open, then waits there for the outcome.
            Reply submitted = fleet.post(b, "/v1/intents", agent, Map.of("action", "deploy", "args", Map.of("service", "checkout", "version", "2.4.1"),
                    "justification", "fixes the cart total", "urgency", "normal", "cost", 12));
            assertEquals("pending", submitted.text("status"), submitted.body().toString());
            String id = submitted.text("request_id");
            CompletableFuture<Reply> longPoll = CompletableFuture.supplyAsync(() -> fleet.get(b, "/v1/intents/" + id + "?wait=60", agent));

            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("intent-" + id)));
            assertEquals("yes", ((JavascriptExecutor) browser).executeScript("return window.sameDocument"), "the list updated without a reload");
            String card = browser.findElement(By.id("intent-" + id)).getText();
            for (String shown : List.of("deploy", "ops-agent", "checkout", "2.4.1", "fixes the cart total", "12", "T1")) {
                assertTrue(card.contains(shown), shown + " on the card:\n" + card);
            }
            browser.findElement(By.cssSelector("#intent-" + id + " a.button")).click();
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("approve")));
            assertTrue(browser.findElements(By.id("approve-with-changes")).isEmpty(), "the service offers approve and deny only");
            browser.findElement(By.cssSelector("#approve-form input[name=comment]")).sendKeys("release train 14");
            browser.findElement(By.id("approve")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"),
                    "Your approval counted; the request is now approved (1 of 1 approvals)."));

            Reply outcome = longPoll.get(90, TimeUnit.SECONDS);
            assertEquals("allow", outcome.text("status"), outcome.body().toString());
            Warrant w = Warrant.fromJson(outcome.text("warrant"));
            assertEquals(List.of("alice"), w.approvedBy());
            assertEquals(id, w.intentId());
            assertEquals(1, fleet.count("SELECT count(*) FROM votes WHERE request_id = ? AND approver_id = 'alice' AND comment = 'release train 14'"
                    + " AND credential = 'console session (personal token)' AND replica = 'replica-a'", id));
        }
    }
}
