package dev.magistrate.spring;

import dev.magistrate.audit.AuditEvent;
import dev.magistrate.audit.AuditLogReader;
import dev.magistrate.audit.AuditPayload;
import dev.magistrate.audit.CanonicalEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Under the starter, a bean's rollback is called on its proxy, so the interceptor governs it like any call. */
class RollbackStarterTest {

    @TempDir
    Path tmp;

    private List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        try (AuditLogReader r = AuditLogReader.open(tmp.resolve("audit"))) {
            CanonicalEntry.Decoded d;
            while ((d = r.nextEntry()) != null) events.add(d.event());
        }
        return events;
    }

    private <T extends AuditPayload> T await(Class<T> type, String intentId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> found = audit().stream().filter(e -> intentId == null || e.intentId().equals(intentId))
                    .flatMap(e -> e.payload().steps().stream()).filter(type::isInstance).map(type::cast).findFirst();
            if (found.isPresent()) return found.get();
            Thread.sleep(50);
        }
        return fail("no " + type.getSimpleName() + " of " + intentId + " in " + audit().stream().map(AuditEvent::type).toList());
    }

    private String intentOf(String action) {
        return audit().stream().filter(e -> e.payload().steps().stream().anyMatch(p -> p instanceof AuditPayload.IntentSubmitted s && s.action().equals(action)))
                .findFirst().orElseThrow().intentId();
    }

    @Test
    void aFailedBeanCallIsRolledBackThroughItsProxyAndABrokenRollbackIsAuditedWithoutRunning() throws Exception {
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, "default: T0\nrollbacks:\n  - action: \"*_service\"\n    when: failed\n");
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MagistrateAutoConfiguration.class))
                .withBean(RollbackTools.class)
                .withPropertyValues("magistrate.policy=" + policy, "magistrate.audit.dir=" + tmp.resolve("audit"),
                        "magistrate.keys.dir=" + tmp.resolve("keys"), "magistrate.agent.id=spring-ops")
                .run(context -> {
                    RollbackTools tools = context.getBean(RollbackTools.class);
                    assertTrue(AopUtils.isCglibProxy(tools));
                    assertThrows(IllegalStateException.class, () -> tools.scale("web", 200));
                    String original = intentOf("scale_service");
                    AuditPayload.RollbackTriggered t = await(AuditPayload.RollbackTriggered.class, original);
                    await(AuditPayload.ExecutionCompleted.class, t.rollbackIntentId());
                    AuditPayload.IntentSubmitted rollback = await(AuditPayload.IntentSubmitted.class, t.rollbackIntentId());
                    assertEquals("scale_back", rollback.action());
                    assertEquals(original, rollback.parentIntentId());
                    RollbackTools bean = (RollbackTools) AopUtils.getTargetClass(tools).cast(((org.springframework.aop.framework.Advised) tools)
                            .getTargetSource().getTarget());
                    assertEquals(1, bean.done.size(), bean.done.toString());
                    assertTrue(bean.done.get(0).startsWith("back web on magistrate-rollback-"), bean.done.toString());

                    assertThrows(IllegalStateException.class, () -> tools.delete("db"));
                    String delete = intentOf("delete_service");
                    AuditPayload.RollbackTriggered broken = await(AuditPayload.RollbackTriggered.class, delete);
                    assertNull(broken.rollbackIntentId());
                    assertEquals("nothing ran: undelete is final, so the proxy cannot govern it", broken.error());
                    assertTrue(bean.done.stream().noneMatch(d -> d.startsWith("undelete")));
                });
    }
}
