package dev.magistrate.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names a parameter of a governed method as policies see it ({@code args.NAME}). Needed only when
 * the class was compiled without {@code -parameters}; without either, arguments are {@code arg0..n}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Arg {
    String value();
}
