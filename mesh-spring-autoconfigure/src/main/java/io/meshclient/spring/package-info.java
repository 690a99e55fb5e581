/**
 * Spring Boot 4 integration of MeshClient: {@code meshclient.*} properties, the {@link
 * io.meshclient.Mesh} bean, {@link io.meshclient.spring.MeshClient @MeshClient} HTTP interface
 * clients, workload identity and mutual TLS ({@code meshclient.identity.*}: the {@code
 * MeshCredentials} bean), the actuator {@code mesh} endpoint and health contributor. See
 * docs/spring.md.
 *
 * <p>Stability: the annotations ({@code @MeshClient}, {@code @MeshTimeout}, {@code
 * @MeshIdempotent}, {@code @MeshGrpcClient}) and the {@code meshclient.*} property names are the
 * API applications write against and change only with notice; the bean types here may still
 * change before 1.0. {@code io.meshclient.spring.internal} is not API.
 */
@NullMarked
package io.meshclient.spring;

import org.jspecify.annotations.NullMarked;
