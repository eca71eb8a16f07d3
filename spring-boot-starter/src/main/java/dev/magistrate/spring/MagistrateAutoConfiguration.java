package dev.magistrate.spring;

import dev.magistrate.audit.AuditObserver;
import dev.magistrate.engine.Magistrate;
import dev.magistrate.engine.MagistrateSettings;
import dev.magistrate.telemetry.OpenTelemetryObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Magistrate in a Spring Boot application: the engine from {@code magistrate.*} (closed with the
 * context), governed bean methods through Spring AOP, and, when the application has them, an
 * Actuator health contributor and Micrometer meters. A policy that does not load fails the start.
 * Off with {@code magistrate.enabled=false}, and when the application runs under the agent.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "magistrate.enabled", matchIfMissing = true)
// Under -javaagent the agent governs every bean already (its bridge is in the bootstrap loader): two would make two intents per call.
@ConditionalOnMissingClass("dev.magistrate.bootstrap.MagistrateBridge")
@EnableConfigurationProperties(MagistrateProperties.class)
@Import(MagistrateAutoConfiguration.ClassProxies.class)
public class MagistrateAutoConfiguration {

    private static final Log LOG = LogFactory.getLog(MagistrateAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Magistrate magistrate(MagistrateProperties properties, GovernedMethods governedMethods,
                                 ObjectProvider<AuditObserver> telemetry) {
        ChronicleAccess.require();
        MagistrateSettings settings = properties.settings(telemetry.getIfAvailable());
        Magistrate m = Magistrate.open(settings);
        LOG.info("magistrate started; governing " + governedMethods.describe() + "; " + m.describe());
        return m;
    }

    // Static and infrastructure-role: the proxy creator asks for advisors before ordinary beans exist, so this binds
    // magistrate.* itself rather than depend on the properties bean.
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static GovernedMethods magistrateGovernedMethods(Environment environment) {
        MagistrateProperties properties = Binder.get(environment)
                .bindOrCreate("magistrate", MagistrateProperties.class);
        return GovernedMethods.from(properties, MagistrateAutoConfiguration.class.getClassLoader());
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static GovernedMethodAdvisor magistrateGovernedMethodAdvisor(GovernedMethods governedMethods, ObjectProvider<Magistrate> magistrate,
                                                                 ObjectProvider<GovernanceMetrics> metrics) {
        return new GovernedMethodAdvisor(governedMethods, new GovernedMethodInterceptor(governedMethods, magistrate, metrics));
    }

    /** The auto-proxy creator that applies infrastructure advisors (upgraded by Boot's AspectJ one when present), proxying classes. */
    static class ClassProxies implements ImportBeanDefinitionRegistrar {
        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
            // A tool class, not an interface: Spring AI calls @Tool methods it found on the class, so the proxy must be one.
            AopConfigUtils.forceAutoProxyCreatorToUseClassProxying(registry);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean(GovernanceMetrics.class)
        MicrometerGovernanceMetrics magistrateMetrics(ObjectProvider<MeterRegistry> registry) {
            return new MicrometerGovernanceMetrics(registry);
        }
    }

    /**
     * Spring Boot makes an OpenTelemetry bean without setting it as the global instance: Magistrate reports to that bean.
     * Under the OpenTelemetry Java agent there is none, and the global instance the agent sets serves.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(OpenTelemetry.class)
    static class Telemetry {
        @Bean
        @ConditionalOnBean(OpenTelemetry.class)
        @ConditionalOnMissingBean(AuditObserver.class)
        AuditObserver magistrateTelemetry(OpenTelemetry openTelemetry) {
            return OpenTelemetryObserver.of(openTelemetry);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "magistrateHealthIndicator")
        MagistrateHealthIndicator magistrateHealthIndicator(Magistrate magistrate) {
            return new MagistrateHealthIndicator(magistrate);
        }
    }
}
