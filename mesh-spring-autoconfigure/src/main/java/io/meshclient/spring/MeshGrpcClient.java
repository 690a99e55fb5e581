package io.meshclient.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Injects a generated gRPC stub backed by the mesh channel of a service:
 *
 * <pre>{@code
 * @MeshGrpcClient("orders")
 * OrdersGrpc.OrdersBlockingStub orders;
 * }</pre>
 *
 * <p>Any stub kind works (blocking, future, async): the stub is made by the static factory of its
 * generated {@code *Grpc} class that takes a {@code Channel}. For constructor injection use {@link
 * MeshGrpcChannels#stub} in a {@code @Bean} method.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MeshGrpcClient {

  /** The mesh service, such as {@code orders}. */
  String value();
}
