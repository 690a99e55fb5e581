package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.tls.MeshCredentials;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code mesh} health contributor, when {@code spring-boot-health} is present ({@code
 * management.health.mesh.enabled=false} turns it off).
 */
@AutoConfiguration(
    after = {
      MeshAutoConfiguration.class,
      MeshConfigAutoConfiguration.class,
      MeshIdentityAutoConfiguration.class
    })
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Mesh.class)
@ConditionalOnEnabledHealthIndicator("mesh")
public final class MeshHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "meshHealthIndicator")
  public MeshHealthIndicator meshHealthIndicator(
      Mesh mesh, MeshConfigStatus config, ObjectProvider<MeshCredentials> credentials) {
    return new MeshHealthIndicator(
        mesh, config, credentials.getIfAvailable(), Clock.systemUTC());
  }
}
