package io.meshclient.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A code-level default for the timeout of a whole call (all attempts) of a {@link MeshClient}
 * method, or of every method of an interface. The central policy takes precedence: this applies
 * only while the service's policy sets no {@code timeout}.
 *
 * <p>Named apart from Spring Framework 7's resilience annotations ({@code @Retryable}, {@code
 * @ConcurrencyLimit}) on purpose: retries and limits belong to the central policy.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MeshTimeout {

  /** The timeout, such as {@code 500ms} or {@code 2s} (Spring Boot's duration format). */
  String value();
}
