package dev.magistrate.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a tool method whose every call is governed: decided by policy, approved where the policy
 * asks for it, authorised by a signed warrant and written to the audit trail before it runs.
 *
 * <pre>{@code
 * @GovernedAction(value = "scale_infrastructure", cost = "estimatedCost")
 * public void scale(String service, int instances, double estimatedCost) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface GovernedAction {

    /** The action name policies see as {@code action}; empty means the method's name. */
    String value() default "";

    /** The resource policies see as {@code resource}, for example {@code "prod/web"}; empty means none. */
    String resource() default "";

    /**
     * A floor for the risk tier: the decision is never below it, whatever the policy says. It can
     * only make a call stricter, never looser.
     */
    Tier minimumTier() default Tier.UNSPECIFIED;

    /** The name of the parameter that carries the agent's justification, if any. */
    String justification() default "";

    /** The name of the parameter that carries the estimated cost, if any (policies see it as {@code cost}). */
    String cost() default "";

    /**
     * The action of this tool's compensating method, run when the policy's {@code rollbacks:} say so (the call failed, or a
     * signal crossed a threshold soon after it); empty means none. It is a {@code @GovernedAction} method of the same class,
     * run on the same object, and governed like any call. Its parameters are bound by name from the arguments this call ran
     * with; a parameter named {@code result} (by {@code @Arg("result")} or {@code -parameters}) receives this call's result.
     */
    String rollback() default "";

    /** Risk tiers as a developer may name them in an annotation. */
    enum Tier { UNSPECIFIED, T0, T1, T2, T3 }
}
