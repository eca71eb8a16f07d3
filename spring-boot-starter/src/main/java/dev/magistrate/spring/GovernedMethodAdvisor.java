package dev.magistrate.spring;

import org.aopalliance.aop.Advice;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;

import java.lang.reflect.Method;

/**
 * Spring AOP's part: every bean with a governed method gets a (class-based) proxy whose governed
 * methods run through {@link GovernedMethodInterceptor}. An advisor, not an AspectJ aspect, so that
 * no AspectJ weaver is needed; calls a bean makes to its own methods bypass the proxy, as with
 * {@code @Transactional}.
 */
final class GovernedMethodAdvisor extends AbstractPointcutAdvisor {

    private static final long serialVersionUID = 1L;

    private final transient GovernedMethods methods;
    private final transient GovernedMethodInterceptor interceptor;

    GovernedMethodAdvisor(GovernedMethods methods, GovernedMethodInterceptor interceptor) {
        this.methods = methods;
        this.interceptor = interceptor;
    }

    @Override
    public Pointcut getPointcut() {
        return new StaticMethodMatcherPointcut() {
            @Override
            public boolean matches(Method method, Class<?> targetClass) {
                return methods.find(method, targetClass) != null;
            }
        };
    }

    @Override
    public Advice getAdvice() {
        return interceptor;
    }
}
