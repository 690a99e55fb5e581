package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.MeshListener;
import io.meshclient.RandomSource;
import io.meshclient.Ticker;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.spring.internal.CompositeMeshListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@link Mesh} of the application. Every bean here can be replaced by declaring one of the
 * same type. A {@link Ticker} or {@link RandomSource} bean replaces the system clock or
 * randomness (tests); {@link MeshListener} beans receive the mesh's events; a {@link MeshPolicy}
 * bean is applied at start-up (a policy written in code, or for tests).
 */
@AutoConfiguration
@ConditionalOnClass(Mesh.class)
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MeshClientProperties.class)
public final class MeshAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public Mesh mesh(
      MeshClientProperties properties,
      ObjectProvider<Ticker> ticker,
      ObjectProvider<RandomSource> random,
      ObjectProvider<MeshListener> listeners,
      ObjectProvider<MeshBuilderCustomizer> customizers,
      ObjectProvider<MeshPolicy> policy) {
    Mesh.Builder builder =
        Mesh.builder()
            .localZone(properties.getNode().getZone())
            .listener(CompositeMeshListener.of(listeners.orderedStream().toList()));
    ticker.ifAvailable(builder::ticker);
    random.ifAvailable(builder::random);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    Mesh mesh = builder.build();
    policy.ifAvailable(mesh::update);
    return mesh;
  }

  @Bean
  @ConditionalOnMissingBean
  public MeshConfigStatus meshConfigStatus() {
    return MeshConfigStatus.fixed();
  }
}
