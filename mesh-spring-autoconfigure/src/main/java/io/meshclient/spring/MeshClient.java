package io.meshclient.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Puts a Spring HTTP interface ({@code @HttpExchange}/{@code @GetExchange} methods) in the mesh:
 * the interface becomes a bean whose calls go to the mesh service {@link #value()} with its
 * policy's routing, retries, breakers and tracing.
 *
 * <pre>{@code
 * @MeshClient("orders")
 * interface OrdersClient {
 *   @GetExchange("/orders/{id}")
 *   Order get(@PathVariable String id);
 * }
 * }</pre>
 *
 * <p>Interfaces are found in the application's auto-configuration packages (those of its
 * {@code @SpringBootApplication} class and below). Each service is one Spring HTTP service group
 * of the same name, so {@code HttpServiceGroupConfigurer}s and {@code
 * spring.http.serviceclient.<service>.*} properties apply to it as to any group. The base URL is
 * {@code http://<service>} unless {@code spring.http.serviceclient.<service>.base-url} is set.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MeshClient {

  /** The mesh service name this interface calls, such as {@code orders}. */
  String value();
}
