package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.tls.MeshCredentials;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The mesh's counters in Micrometer, when Micrometer is present: Boot binds {@link MeterBinder}
 * beans to the application's registry. Also a {@code MeshListener}, so services that arrive with
 * later policies get their meters; with a {@code MeshCredentials} bean, the certificate's expiry
 * and renewals.
 */
@AutoConfiguration(before = MeshAutoConfiguration.class)
@ConditionalOnClass({MeterBinder.class, Mesh.class})
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
public final class MeshMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public MeshMeterBinder meshMeterBinder(
      ObjectProvider<Mesh> mesh,
      ObjectProvider<MeshCredentials> credentials,
      ObjectProvider<MeshIdentityStatus> identityStatus) {
    return new MeshMeterBinder(mesh, credentials, identityStatus, Clock.systemUTC());
  }
}
