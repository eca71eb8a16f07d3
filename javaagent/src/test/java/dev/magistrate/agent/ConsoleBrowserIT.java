package dev.magistrate.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.magistrate.approval.PasswordHash;
import dev.magistrate.approval.Totp;
import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditEventType;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.CanonicalEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A person approves in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed
 * with apt when missing) driven by Selenium through the console of an agent in a child JVM. Signs in (a wrong password
 * first: refused and audited), watches the pending list receive two requests without reloading, approves a T3 deploy with
 * authenticator codes from two people, denies a scale-up with a reason, approves a resize with a change (200 to 25
 * instances), asks a question the agent answers in a linked request, reads the history, and checks how each governed
 * call ended, in the child's output and in its audit trail. Saves the pending page at phone width as target/console.png
 * (and as docs/images/console.png, the README's, with -Dmagistrate.updateScreenshot=true).
 */
class ConsoleBrowserIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String DANA_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    static final String CHRIS_TOTP = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    static final Map<String, String> PASSWORDS = Map.of("dana", "dana approves at 3 am", "chris", "chris counts the money");

    static final String POLICY = """
            policies:
              - name: deploys
                condition: "action == 'deploy'"
                risk_tier: T3
                required_approvals: [engineering_director, cfo]
                timeout: "180s"
              - name: scaling
                condition: "action == 'scale_service'"
                risk_tier: T2
                required_roles: [sre]
                timeout: "180s"
              - name: resizing
                condition: "action == 'resize'"
                risk_tier: T1
                timeout: "180s"
              - name: purges
                condition: "action == 'purge_cache'"
                risk_tier: T1
                timeout: "180s"
            """;

    @TempDir
    static Path work;
    static WebDriver browser;
    static WebDriverWait waitUpTo;
    static Path childDir;

    static String childOutput() {
        try {
            return childDir == null ? "" : Files.readString(childDir.resolve("stdout.txt")) + Files.readString(childDir.resolve("stderr.txt"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Intents whose cards the test has picked already. */
    static final Set<String> seen = new HashSet<>();

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
                return new TimeoutException(message + "\nat " + browser.getCurrentUrl() + ":\n" + browser.getPageSource() + "\nthe agent's output:\n"
                        + childOutput(), lastException);
            }
        };
        waitUpTo.ignoring(StaleElementReferenceException.class); // the live list replaces its cards while the test reads them
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) browser.quit();
    }

    /** .ci/run prints this file's reason after the build when the browser test was skipped. */
    static final Path SKIPPED = Path.of("target", "ConsoleBrowserIT-SKIPPED.txt");

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
        String banner = "\n" + "!".repeat(100) + "\nSKIPPED ConsoleBrowserIT: Chromium and chromedriver are " + why
                + "\nThe web console was NOT tested in a browser.\n" + "!".repeat(100);
        System.err.println(banner);
        Files.createDirectories(SKIPPED.getParent());
        Files.writeString(SKIPPED, "Chromium and chromedriver are " + why + "\n");
        Assumptions.abort(banner);
    }

    @Test
    void aPersonSignsInWatchesRequestsArriveApprovesWithTotpAndDeniesWithAReason() throws Exception {
        Path dir = Files.createDirectories(work.resolve("agent"));
        childDir = dir;
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("approvers.yaml"), """
                approvers:
                  - {id: dana, name: Dana Kim, roles: [engineering_director, sre], totp_secret: %s, password_hash: "%s"}
                  - {id: chris, name: Chris Wu, roles: [cfo], totp_secret: %s, password_hash: "%s"}
                """.formatted(DANA_TOTP, PasswordHash.create(PASSWORDS.get("dana").toCharArray()), CHRIS_TOTP,
                PasswordHash.create(PASSWORDS.get("chris").toCharArray())));
        Files.writeString(dir.resolve("magistrate.yaml"), """
                policy: policy.yaml
                audit:
                  dir: audit
                keys:
                  dir: keys
                approvals: console
                console:
                  file: console.json
                approvers: approvers.yaml
                agent:
                  id: ops-agent
                """);
        Process child = new ProcessBuilder(AgentRun.java(), "-javaagent:" + AgentRun.JAR + "=config=" + dir.resolve("magistrate.yaml"),
                "-cp", AgentRun.appClasspath(), "example.app.ConsoleApp", "deploy", "scale", "resize", "ask")
                .directory(dir.toFile()).redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile()).start();
        try {
            String url = consoleUrl(dir, child);

            // sign in: a wrong password first
            browser.get(url + "/");
            signIn("dana", "dana approves at 4 am");
            assertEquals("Sign-in failed: wrong approver id or password, or sign-in is locked for a while after repeated failures.",
                    browser.findElement(By.id("signin-error")).getText());
            signIn("dana", PASSWORDS.get("dana"));
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("pending-list")));
            assertTrue(browser.findElement(By.id("pending-list")).getText().contains("Nothing waits"));

            // two requests arrive while the page is open: the list updates without a reload
            ((JavascriptExecutor) browser).executeScript("window.sameDocument = 'yes'");
            Files.writeString(dir.resolve("go-deploy"), "");
            Files.writeString(dir.resolve("go-scale"), "");
            waitUpTo.until(d -> d.findElements(By.cssSelector("#pending-list article")).size() == 2);
            assertEquals("yes", ((JavascriptExecutor) browser).executeScript("return window.sameDocument"), "the page was not reloaded");
            String list = browser.findElement(By.id("pending-list")).getText();
            assertTrue(list.contains("fixes the refund rounding bug") && list.contains("v2.4.1") && list.contains("engineering_director, cfo"), list);
            waitUpTo.until(d -> d.findElement(By.cssSelector("[data-deadline]")).getText().matches("\\d+ min \\d\\d s left"));
            screenshotAtPhoneWidth();

            String deploy = intentOf("deploy");
            String scale = intentOf("scale_service");

            // dana approves the T3 deploy with her authenticator code: one of two approvals
            browser.get(url + "/requests/" + deploy);
            browser.findElement(By.id("approve-totp")).sendKeys(Totp.codeAt(Totp.decodeBase32(DANA_TOTP), Instant.now()));
            browser.findElement(By.id("approve")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"), "Your approval counted; the request is now pending."));

            // ... and denies the scale-up, with a reason the agent reads
            browser.get(url + "/requests/" + scale);
            browser.findElement(By.id("deny-reason")).sendKeys("not during the sale; ask again after 18:00");
            browser.findElement(By.id("deny")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"), "Your denial counted; the request is now denied."));

            // ... approves the resize with a change: 25 instances, not 200
            browser.get(url + "/");
            Files.writeString(dir.resolve("go-resize"), "");
            String resize = waitForCard("resize");
            browser.get(url + "/requests/" + resize);
            WebElement instances = browser.findElement(By.name("edit.instances"));
            instances.clear();
            instances.sendKeys("25");
            browser.findElement(By.cssSelector("#edit-form input[name=comment]")).sendKeys("25 covers the spike");
            browser.findElement(By.id("approve-with-changes")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"),
                    "Your approval with changes counted; the request is now granted."));
            String edited = browser.findElement(By.cssSelector("#request .args")).getText();
            assertTrue(edited.contains("instances 200 25"), "requested and approved side by side: " + edited);

            // ... and asks a question before the cache purge; the agent answers in a new request that links to it
            browser.get(url + "/");
            Files.writeString(dir.resolve("go-ask"), "");
            String ask = waitForCard("purge_cache");
            browser.get(url + "/requests/" + ask);
            browser.findElement(By.id("question")).sendKeys("Which region serves stale assets?");
            browser.findElement(By.id("ask")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"),
                    "Your question counted; the request is now needs_information."));
            browser.get(url + "/");
            String answer = waitForCard("purge_cache");
            browser.get(url + "/requests/" + answer);
            assertEquals(ask, browser.findElement(By.linkText(ask)).getText(), "the answer links to the question");
            assertTrue(browser.findElement(By.id("request")).getText().contains("only eu-west serves stale assets"));
            browser.findElement(By.id("approve")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"), "Your approval counted; the request is now granted."));

            // chris signs in on the same browser after dana signs out, and gives the second approval
            browser.findElement(By.id("signout")).click();
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("signin")));
            signIn("chris", PASSWORDS.get("chris"));
            waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("pending-list")));
            browser.get(url + "/requests/" + deploy);
            browser.findElement(By.id("approve-totp")).sendKeys(Totp.codeAt(Totp.decodeBase32(CHRIS_TOTP), Instant.now()));
            browser.findElement(By.id("approve")).click();
            waitUpTo.until(ExpectedConditions.textToBePresentInElementLocated(By.id("flash"), "Your approval counted; the request is now granted."));

            // the governed calls ended as decided
            Path stdout = dir.resolve("stdout.txt");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(stdout).contains("DONE")) {
                if (System.nanoTime() > deadline || !child.isAlive()) fail("the calls did not end: " + Files.readString(stdout) + Files.readString(dir.resolve("stderr.txt")));
                Thread.sleep(100);
            }
            String out = Files.readString(stdout);
            assertTrue(out.contains("CASE deploy OK payments now runs v2.4.1"), out + Files.readString(dir.resolve("stderr.txt")));
            assertTrue(out.lines().anyMatch(l -> l.startsWith("CASE scale DENIED") && l.contains("not during the sale; ask again after 18:00")), out);
            assertTrue(out.contains("CASE resize OK web resized to 25"), "the body ran with the approved value: " + out);
            assertTrue(out.contains("QUESTION Which region serves stale assets?") && out.contains("CASE ask OK purged eu-west"), out);

            // the history shows both, with their timelines and the command that proves them
            browser.get(url + "/history");
            String history = browser.findElement(By.tagName("main")).getText();
            assertTrue(history.contains("approved by dana, chris") && history.contains("call completed"), history);
            assertTrue(history.contains("denied by dana: not during the sale"), history);
            assertTrue(history.contains("changed by dana") && history.contains("needs information: dana asked \"Which region serves stale assets?\""), history);
            assertTrue(history.contains("magistrate audit prove " + dir.resolve("audit")), history);
            Files.writeString(dir.resolve("go-exit"), "");
            if (!child.waitFor(60, TimeUnit.SECONDS)) fail("the agent did not exit");

            // and the audit trail says the same
            List<AuditEvent> audit = audit(dir.resolve("audit"));
            List<AuditEvent> signIns = audit.stream().filter(e -> e.type() == AuditEventType.ACCESS).toList();
            assertEquals("{\"instances\":25,\"service\":\"web\",\"why\":\"traffic spike\"}", audit.stream()
                    .filter(e -> e.intentId().equals(resize) && e.type() == AuditEventType.ARGUMENTS_EDITED).findFirst().orElseThrow()
                    .fields().get("approved_args"));
            assertEquals(ask, audit.stream().filter(e -> e.intentId().equals(answer) && e.type() == AuditEventType.INTENT_SUBMITTED)
                    .findFirst().orElseThrow().fields().get("parent_intent_id"));
            assertEquals(List.of("dana false", "dana true", "dana true", "chris true"),
                    signIns.stream().map(e -> e.fields().get("subject") + " " + e.fields().get("allowed")).toList(), signIns.toString());
            assertTrue(String.valueOf(signIns.get(2).fields().get("detail")).contains("signed out"));
            assertEquals(List.of("dana", "chris"), audit.stream().filter(e -> e.intentId().equals(deploy) && e.type() == AuditEventType.WARRANT_ISSUED)
                    .findFirst().orElseThrow().fields().get("approved_by"));
            assertTrue(audit.stream().anyMatch(e -> e.intentId().equals(deploy) && e.type() == AuditEventType.EXECUTION_COMPLETED));
            AuditEvent denied = audit.stream().filter(e -> e.intentId().equals(scale) && e.type() == AuditEventType.INTENT_DENIED).findFirst().orElseThrow();
            assertTrue(String.valueOf(denied.fields().get("reason")).contains("not during the sale"), denied.toString());
            String everything = audit.toString();
            for (String pw : PASSWORDS.values()) assertFalse(everything.contains(pw), "no password in the audit trail");
            assertFalse(everything.contains("dana approves at 4 am"), "not even a wrong one");
        } finally {
            child.destroyForcibly();
        }
    }

    private static void signIn(String approver, String password) {
        waitUpTo.until(ExpectedConditions.presenceOfElementLocated(By.id("approver")));
        browser.findElement(By.id("approver")).sendKeys(approver);
        browser.findElement(By.id("secret")).sendKeys(password);
        browser.findElement(By.id("signin")).click();
    }

    /** Waits for a pending card of this action that was not there before (live, on the open list) and returns its intent. */
    private static String waitForCard(String action) {
        Set<String> before = new HashSet<>(seen);
        return waitUpTo.until(d -> {
            for (WebElement card : d.findElements(By.cssSelector("#pending-list article"))) {
                String id = card.getAttribute("data-intent");
                if (card.findElement(By.tagName("h2")).getText().equals(action) && !before.contains(id) && seen.add(id)) return id;
            }
            return null;
        });
    }

    private static String intentOf(String action) {
        for (WebElement card : browser.findElements(By.cssSelector("#pending-list article"))) {
            if (card.findElement(By.tagName("h2")).getText().equals(action)) {
                seen.add(card.getAttribute("data-intent"));
                return card.getAttribute("data-intent");
            }
        }
        return fail("no card for " + action);
    }

    /** The pending page as an on-call phone shows it, for the README. */
    private static void screenshotAtPhoneWidth() throws Exception {
        Dimension before = browser.manage().window().getSize();
        browser.manage().window().setSize(new Dimension(412, 1400));
        try {
            File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), Path.of("target", "console.png"), StandardCopyOption.REPLACE_EXISTING);
            // The README's copy changes only on request, so a test run never dirties the working tree.
            if (Boolean.getBoolean("magistrate.updateScreenshot")) {
                Path docs = Path.of("").toAbsolutePath().getParent().resolve("docs/images");
                Files.createDirectories(docs);
                Files.copy(shot.toPath(), docs.resolve("console.png"), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            browser.manage().window().setSize(before);
        }
    }

    private static String consoleUrl(Path dir, Process child) throws Exception {
        Path file = dir.resolve("console.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                fail("the agent wrote no console file: " + Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
        return new ObjectMapper().readTree(Files.readString(file)).get("url").asText();
    }

    private static List<AuditEvent> audit(Path dir) {
        List<AuditEvent> out = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(dir)) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) out.add(d.event());
        }
        return out;
    }
}
