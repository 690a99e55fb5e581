package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.http.MeshHttp;
import io.meshclient.spring.internal.MeshClientRegistrar;
import io.meshclient.spring.internal.MeshOkHttpClientFactoryBean;
import io.meshclient.spring.internal.MeshHttpServiceGroupConfigurer;
import io.meshclient.tls.MeshCredentials;
import io.opentelemetry.api.OpenTelemetry;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.web.client.RestClient;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * HTTP through the mesh: the mesh {@link OkHttpClient} (bean {@value #CLIENT_BEAN}), a {@link
 * OkHttpRequestFactory} over it, and, with {@code spring-web}, {@link MeshClient @MeshClient}
 * interfaces as beans in Framework 7's HTTP service groups.
 */
@AutoConfiguration(after = {MeshAutoConfiguration.class, MeshConfigAutoConfiguration.class})
@ConditionalOnClass({MeshHttp.class, OkHttpClient.class})
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
public final class MeshHttpAutoConfiguration {

  /** The name of the mesh OkHttp client bean. */
  public static final String CLIENT_BEAN = "meshOkHttpClient";

  /**
   * The mesh OkHttp client. Requests to {@code http://<service>/...} go through the mesh; other
   * hosts pass through. Traces and metrics use the application's {@link OpenTelemetry} bean when
   * there is one; services whose policy asks for mutual TLS are called with the {@link
   * MeshCredentials} bean when there is one. Its threads and connections are released when the
   * context closes.
   */
  @Bean(name = CLIENT_BEAN)
  @ConditionalOnMissingBean(name = CLIENT_BEAN)
  public MeshOkHttpClientFactoryBean meshOkHttpClient(
      Mesh mesh,
      ObjectProvider<OpenTelemetry> openTelemetry,
      ObjectProvider<MeshCredentials> credentials) {
    return new MeshOkHttpClientFactoryBean(
        mesh, openTelemetry.getIfAvailable(), credentials.getIfAvailable());
  }

  @Bean
  @ConditionalOnMissingBean
  public OkHttpRequestFactory meshClientHttpRequestFactory(
      @Qualifier(CLIENT_BEAN) OkHttpClient client) {
    return new OkHttpRequestFactory(client);
  }

  /** {@code @MeshClient} interfaces and mesh HTTP service groups. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({RestClient.class, HttpServiceGroup.class})
  @ConditionalOnBean(Mesh.class)
  @Import(MeshClientRegistrar.class)
  static class HttpServiceGroups {

    @Bean
    MeshHttpServiceGroupConfigurer meshHttpServiceGroupConfigurer(
        Mesh mesh,
        OkHttpRequestFactory requestFactory,
        MeshClientProperties properties,
        Environment environment) {
      return new MeshHttpServiceGroupConfigurer(
          mesh, requestFactory, properties.getHttp().getGroups(), environment);
    }
  }
}
