package io.meshclient.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares that a {@link MeshClient} method (or every method of an interface) may be sent again
 * after it may have reached the server, such as a POST the server de-duplicates. The mesh then
 * may retry it on the policy's {@code retryOn} conditions, as it does for GET or PUT.
 *
 * <p>The central policy still decides whether and how often to retry ({@code retry.maxAttempts},
 * {@code retryOn}, the budget); this only states a fact about the method, like gRPC's {@code
 * idempotency_level}. A route marked {@code idempotent} in the policy applies as well.
 *
 * <p>The request factory marks such requests with {@code MeshHttp.idempotent}, which the OkHttp
 * adapter reads when it considers a retry.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MeshIdempotent {}
