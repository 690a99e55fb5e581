/**
 * Spring Boot 4 integration of MeshClient: {@code meshclient.*} properties, the {@link
 * io.meshclient.Mesh} bean, {@link io.meshclient.spring.MeshClient @MeshClient} HTTP interface
 * clients, the actuator {@code mesh} endpoint and health contributor. See docs/spring.md.
 */
@NullMarked
package io.meshclient.spring;

import org.jspecify.annotations.NullMarked;
