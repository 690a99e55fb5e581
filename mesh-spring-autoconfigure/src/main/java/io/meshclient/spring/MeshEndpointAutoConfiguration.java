package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.tls.MeshCredentials;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The actuator {@code mesh} endpoint, when actuator is present and the endpoint is exposed. */
@AutoConfiguration(
    after = {
      MeshAutoConfiguration.class,
      MeshConfigAutoConfiguration.class,
      MeshIdentityAutoConfiguration.class
    })
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(Mesh.class)
@ConditionalOnAvailableEndpoint(MeshEndpoint.class)
public final class MeshEndpointAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public MeshEndpoint meshEndpoint(
      Mesh mesh,
      MeshConfigStatus config,
      ObjectProvider<MeshCredentials> credentials,
      ObjectProvider<MeshIdentityStatus> identityStatus) {
    return new MeshEndpoint(
        mesh,
        config,
        credentials.getIfAvailable(),
        identityStatus.getIfAvailable(),
        Clock.systemUTC());
  }
}
